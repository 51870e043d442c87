"""Request id and the per-request log line; the fixed error shape for the framework's own
errors; and the input every request is checked for before any view sees it.

The request id comes from X-Request-ID when the caller sends a sane one (a proxy or
a client tracing its own calls), else a new one; it is returned in X-Request-ID and
bound to every log line of the request, with the schema and the user id.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import structlog
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django_ratelimit.exceptions import Ratelimited

from project import views
from project.errors import code_for_status, error_response, field_error, wants_json
from project.views import error_page

log = structlog.get_logger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if _SANE_REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, schema="public")
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        log.info(
            "request_finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.clear_contextvars()
        return response


class BindUserMiddleware:
    """Binds user_id once authentication has run; anonymous requests log user_id=None."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        structlog.contextvars.bind_contextvars(user_id=user_id)
        return self.get_response(request)


class ApiErrorShapeMiddleware:
    """Under /api/, an error answered by the framework (405 from ninja's router, Django's
    own 4xx pages) still reaches the client in the fixed JSON error shape."""

    SHAPED = (400, 403, 404, 405, 413)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in self.SHAPED
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            message = (
                f"{request.method} is not allowed here; use {response['Allow']}."
                if response.status_code == 405 and response.has_header("Allow")
                else "The request could not be served."
            )
            shaped = error_response(
                code_for_status(response.status_code), message, status=response.status_code
            )
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


NUL = "\x00"
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def nul_fields(value: Any, path: str = "") -> Iterator[str]:
    """The dotted path ("filter.q", "tags.0") of every string under a parsed JSON value that
    holds a NUL character; for a key that holds one, the path of its object."""
    if isinstance(value, str):
        if NUL in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                yield path or "body"
            else:
                yield from nul_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nul_fields(item, f"{path}.{index}" if path else str(index))


def _printable(name: str) -> str:
    return name.replace(NUL, "\\u0000")


def _fields_of(pairs: Iterable[tuple[str, list[Any]]]) -> Iterator[str]:
    for name, values in pairs:
        if NUL in name or any(NUL in str(value) for value in values):
            yield _printable(name)


def _json_nul_fields(body: bytes) -> list[str]:
    # In JSON a NUL can only be written as the escape \u0000 (a raw one is invalid JSON,
    # which the API answers 400 for): parse only bodies that carry it.
    if b"\\u0000" not in body:
        return []
    try:
        return list(nul_fields(json.loads(body)))
    except (ValueError, UnicodeDecodeError):
        return []


def nul_fields_of(request: HttpRequest) -> list[str]:
    """Every place in the request that holds a NUL character: path, header, query parameter,
    form field, uploaded file's name or JSON field. Reading the body here also enforces
    Django's size limits (RequestDataTooBig) before any view runs."""
    found = ["path"] if NUL in request.path_info else []
    found += [
        _printable(key.removeprefix("HTTP_").replace("_", "-").title())
        for key, value in request.META.items()
        if key.startswith("HTTP_") and isinstance(value, str) and NUL in value
    ]
    found += _fields_of(request.GET.lists())
    if request.content_type in FORM_TYPES:
        found += _fields_of(request.POST.lists())
        found += _fields_of(
            (name, [upload.name for upload in uploads]) for name, uploads in request.FILES.lists()
        )
    else:
        found += _json_nul_fields(request.body)
    return found


class InputCheckMiddleware:
    """Input no view can store or read is answered here, the same way on every route:
    NUL characters (PostgreSQL text cannot hold them) are 422 naming the field, a body over
    Django's limits is 413, an unreadable multipart body 400. API and webhook clients get the
    JSON error shape; people get the error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            fields = nul_fields_of(request)
        except RequestDataTooBig:
            return self._refuse(
                request,
                413,
                "payload_too_large",
                "The request body is larger than this server accepts.",
            )
        except TooManyFieldsSent:
            return self._refuse(request, 400, "too_many_fields", "The request has too many fields.")
        except (MultiPartParserError, TooManyFilesSent, UnreadablePostError) as error:
            return self._refuse(
                request, 400, "malformed_body", f"The request body cannot be read: {error}"
            )
        except SuspiciousOperation:
            return self._refuse(request, 400, "bad_request", "The request cannot be read.")
        if fields:
            return self._refuse(
                request,
                422,
                "validation_error",
                "Some fields hold a NUL character (\\u0000); remove it.",
                details=[
                    field_error(name, "nul_character", "Text cannot contain NUL (\\u0000).")
                    for name in dict.fromkeys(fields)
                ],
            )
        return self.get_response(request)

    def _refuse(
        self,
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
    ) -> HttpResponse:
        log.info("request_input_refused", code=code, status=status, fields=details or [])
        if wants_json(request):
            return error_response(code, message, status=status, details=details)
        return error_page(request, 400 if status == 422 else status)


class FriendlyErrorsMiddleware:
    """The friendly 403, 404 and 429 pages in every profile, development included.

    With DEBUG on, Django answers a mistyped address or an Http404 with its technical page,
    which shows a visitor the URL patterns: here those become the same 404 page production
    shows (JSON in the error shape for API clients). django-ratelimit's refusal becomes the
    429 page. Real errors are left alone, so development keeps its tracebacks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            # CommonMiddleware, outside this one, still redirects "/leads" to "/leads/".
            return views.not_found(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return views.not_found(request)
        if isinstance(exception, Ratelimited):
            return views.too_many_requests(request)
        if isinstance(exception, PermissionDenied):
            return views.forbidden(request)
        return None
