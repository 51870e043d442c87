"""Error views shared by both URLconfs: JSON for API clients, a page for people."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from project import pages
from project.errors import code_for_status

PAGES = {
    400: (
        "Bad request",
        "The request could not be understood. Go back and try again.",
    ),
    403: (
        "Not allowed",
        "Your account cannot open this page. Ask an admin of the workspace.",
    ),
    404: (
        "Page not found",
        "There is nothing at this address. Check the link, or go back home.",
    ),
    413: (
        "Too large",
        "What you sent is larger than we accept. Send less at a time.",
    ),
    429: (
        "Too many requests",
        "That was a lot of requests in a short time. Wait a minute, then try again.",
    ),
    500: (
        "Something went wrong",
        "It was logged and we will look at it. Try again in a moment.",
    ),
}


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    title, message = PAGES[status]
    return pages.error_page(
        request, status=status, code=code_for_status(status), title=title, message=message
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    response = error_page(request, 429)
    response["Retry-After"] = "60"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)
