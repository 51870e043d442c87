"""Domain errors and the one error shape every API answers with.

Services raise subclasses of DomainError with a stable code and an HTTP status;
edges (ninja handlers, middleware, error views) turn them into
{"error": {"code", "message", "details"}}.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse


class DomainError(Exception):
    code = "error"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: list[dict[str, Any]] | None = None):
        self.message = message or self.default_message
        self.details = details or []
        super().__init__(self.message)


class InvalidInput(DomainError):
    code = "validation_error"
    status = 422
    default_message = "Some fields are invalid; see details."


class Conflict(DomainError):
    code = "conflict"
    status = 409


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = "You are not allowed to do this."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = "Too many requests; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int):
        super().__init__(message or f"Too many requests; try again in {retry_after} seconds.")
        self.retry_after = retry_after


# The code an answer carries when only its HTTP status is known (a framework's own 4xx, a
# ninja HttpError, an error page): the one map every edge uses.
STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    402: "plan_limit_reached",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def code_for_status(status: int) -> str:
    return STATUS_CODES.get(status, "request_error")


def field_error(field: str, code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def error_response(
    code: str, message: str, *, status: int, details: list[dict[str, Any]] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def domain_error_response(error: DomainError) -> JsonResponse:
    response = error_response(error.code, error.message, status=error.status, details=error.details)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def wants_json(request: HttpRequest) -> bool:
    """API paths always get JSON; elsewhere, a client that asks only for JSON gets it."""
    if request.path.startswith("/api/") or request.path.startswith("/webhooks/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept
