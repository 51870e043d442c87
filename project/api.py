"""The two NinjaAPI instances (apex and workspace) and the handlers that give every
error the fixed shape {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.constants import NOT_SET
from ninja.errors import AuthenticationError, HttpError, ValidationError

from project.errors import DomainError, domain_error_response, error_response, field_error

log = structlog.get_logger(__name__)
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def _field_name(location: list[Any]) -> str:
    # ninja reports ("body", "payload", "slug"); a client only cares about "slug".
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        field_error(
            _field_name(list(error.get("loc", []))),
            str(error.get("type", "invalid")),
            str(error.get("msg", "Invalid value.")),
        )
        for error in errors
    ]


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return domain_error_response(exc)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = validation_details(list(exc.errors))
        if any(detail["code"] == "json_invalid" for detail in details):
            return error_response(
                "malformed_json", "The request body is not valid JSON.", status=400, details=details
            )
        return error_response(
            "validation_error", "Some fields are invalid; see details.", status=422, details=details
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(
            "not_authenticated",
            "Send a valid bearer token in the Authorization header.",
            status=401,
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response("not_found", "Not found.", status=404)

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if str(exc).startswith("Cannot parse request body"):
            return error_response(
                "malformed_json", "The request body is not valid JSON.", status=400
            )
        code = HTTP_ERROR_CODES.get(exc.status_code, "request_error")
        return error_response(code, str(exc), status=exc.status_code)

    @api.exception_handler(SuspiciousOperation)
    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # InputCheckMiddleware reads bodies first; this covers what a view reads itself.
        if isinstance(exc, RequestDataTooBig):
            return error_response(
                "payload_too_large",
                "The request body is larger than this server accepts.",
                status=413,
            )
        return error_response("bad_request", "The request cannot be read.", status=400)

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("api_unhandled_error")
        return error_response(
            "server_error",
            "Something went wrong on our side; it has been logged. Try again.",
            status=500,
        )


def build_api(
    *, title: str, version: str, namespace: str, description: str, auth: Any = NOT_SET
) -> NinjaAPI:
    api = NinjaAPI(
        title=title, version=version, urls_namespace=namespace, description=description, auth=auth
    )
    install_error_handlers(api)
    return api
