"""The two NinjaAPI instances (apex and workspace), the handlers that give every
error the fixed shape {"error": {"code", "message", "details"}}, the check that refuses
query parameters an operation does not declare, and the error answers in the OpenAPI spec."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import NinjaAPI
from ninja.constants import NOT_SET
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema, flatten_properties
from ninja.operation import Operation
from ninja.schema import NinjaGenerateJsonSchema
from ninja.types import DictStrAny

from project.errors import (
    DomainError,
    InvalidInput,
    code_for_status,
    domain_error_response,
    error_response,
    field_error,
)

log = structlog.get_logger(__name__)


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
        code = code_for_status(exc.status_code)
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


def declared_query_parameters(operation: Operation) -> frozenset[str]:
    """The query parameter names the operation's OpenAPI entry lists (the same flattening
    ninja uses for `Query[Schema]` arguments)."""
    names: set[str] = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        schema = model.model_json_schema(
            ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema
        )
        required = set(schema.get("required", []))
        for name, details in schema.get("properties", {}).items():
            names.update(
                parameter
                for parameter, _, _ in flatten_properties(
                    name, details, name in required, schema.get("$defs", {})
                )
            )
    return frozenset(names)


Run = Callable[..., HttpResponseBase]


def refuse_unknown_query_parameters(run: Run) -> Run:
    """Wraps an operation's run (ninja "view" decorator): a query parameter the operation
    does not declare is 422 naming it, so a misspelt one (`next` for `cursor`) is not
    silently ignored."""
    operation = getattr(run, "__self__", None)
    if not isinstance(operation, Operation):
        raise ImproperlyConfigured("refuse_unknown_query_parameters must wrap Operation.run")
    allowed = declared_query_parameters(operation)
    takes = ", ".join(sorted(allowed)) or "none"

    @functools.wraps(run)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        unknown = [name for name in request.GET if name not in allowed]
        if unknown:
            error = InvalidInput(
                details=[
                    field_error(
                        name, "unknown_parameter", f"Unknown query parameter; use: {takes}."
                    )
                    for name in unknown
                ]
            )
            return operation.api.on_exception(request, error)
        return run(request, *args, **kwargs)

    return checked


ERROR_SCHEMAS: DictStrAny = {
    "ErrorDetail": {
        "type": "object",
        "properties": {
            "field": {"type": "string"},
            "code": {"type": "string"},
            "message": {"type": "string"},
        },
        "required": ["code", "message"],
    },
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ErrorDetail"},
                    },
                },
                "required": ["code", "message", "details"],
            }
        },
        "required": ["error"],
    },
}
ERROR_RESPONSE: DictStrAny = {
    "description": "The request was refused: bad input (400, 413, 422), no or bad credentials "
    "(401), not allowed (403), not found (404), a conflict (409) or too many requests (429).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


class CrmApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: DictStrAny | None = None
    ) -> OpenAPISchema:
        """ninja's spec, plus the error answers every operation can give (in the one shape)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
        for methods in schema["paths"].values():
            for operation in methods.values():
                operation["responses"].setdefault("4XX", ERROR_RESPONSE)
        return schema


def build_api(
    *, title: str, version: str, namespace: str, description: str, auth: Any = NOT_SET
) -> NinjaAPI:
    api = CrmApi(
        title=title, version=version, urls_namespace=namespace, description=description, auth=auth
    )
    install_error_handlers(api)
    api.add_decorator(refuse_unknown_query_parameters, mode="view")
    return api
