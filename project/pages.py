"""The one web edge every app's pages use: a page decorator, one error page and one way to
show a DomainError's details on a form.

Apps decorate their views with `page(...)`: it sends signed-out (or refused) visitors to the
right sign-in page (a whole-page redirect for htmx), and turns any DomainError the view lets
through into the error page, with its status. The error handlers of both URLconfs
(project.views) render the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString

from project.errors import DomainError, RateLimited, error_response, wants_json

View = Callable[..., HttpResponse]
Allow = Callable[[Any], bool]

# Where a 402 (a plan's limit, a read-only workspace) is resolved: the owner's billing page.
PLAN_PAGE = ("/settings/billing/", "Open Settings → Billing")

TITLES = {
    400: "That did not work",
    401: "Sign in first",
    402: "Your plan does not allow this",
    403: "Not allowed",
    404: "Not found",
    405: "That did not work",
    409: "Not possible right now",
    413: "That is too large",
    422: "Check what you entered",
    429: "Too many requests",
    500: "Something went wrong",
    502: "The email provider did not take it",
    503: "Back in a moment",
}


def is_htmx(request: HttpRequest) -> bool:
    """The request came from htmx (a fragment is wanted, not the whole page)."""
    return bool(getattr(request, "htmx", False))


def error_page(
    request: HttpRequest,
    *,
    status: int,
    message: str,
    code: str = "error",
    title: str | None = None,
    action: tuple[str, str] | None = None,
) -> HttpResponse:
    """The error page people see (JSON in the fixed shape for API clients); `action` is a
    (url, label) pair for the way forward."""
    if wants_json(request):
        return error_response(code, message, status=status)
    context: dict[str, Any] = {
        "title": title or TITLES.get(status, TITLES[400]),
        "message": message,
        "status": status,
    }
    if action is not None:
        context.update(action_url=action[0], action_label=action[1])
    return render(request, "errors/page.html", context, status=status)


def plan_refusal(error: DomainError) -> SafeString:
    """A 402's message (a plan's limit, a read-only workspace) for a form, with the link to
    where the owner raises it."""
    return format_html('{} <a href="{}">{}</a>', error.message, *PLAN_PAGE)


def domain_error_page(
    request: HttpRequest,
    error: DomainError,
    *,
    title: str | None = None,
    action: tuple[str, str] | None = None,
) -> HttpResponse:
    problems = " ".join(detail["message"] for detail in error.details if detail.get("message"))
    if error.status == 402:
        problems = ""  # the message already names the limit and the way to raise it
        action = action or PLAN_PAGE
    response = error_page(
        request,
        status=error.status,
        code=error.code,
        message=f"{error.message} {problems}".strip(),
        title=title,
        action=action,
    )
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def page(
    *,
    login_url: str = "/login/",
    allow: Allow | None = None,
    refused: DomainError | None = None,
    refused_title: str | None = None,
    back: Callable[[HttpRequest], tuple[str, str] | None] | None = None,
) -> Callable[[View], View]:
    """Decorate a page view. Signed-out visitors (or those `allow` refuses) are sent to
    `login_url` on GET and refused with `refused` (403) on any other method; a DomainError
    from the view becomes the error page, with `back(request)` as the way forward."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            admitted = user.is_authenticated and (allow is None or allow(user))
            if not admitted:
                return _send_to_sign_in(
                    request, login_url=login_url, refused=refused, refused_title=refused_title
                )
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                return domain_error_page(request, error, action=back(request) if back else None)

        return guarded

    return decorate


def _send_to_sign_in(
    request: HttpRequest,
    *,
    login_url: str,
    refused: DomainError | None,
    refused_title: str | None,
) -> HttpResponse:
    if getattr(request, "htmx", False):
        # Swapping the sign-in form into a corner of the page helps nobody: reload whole.
        response = HttpResponse(status=401)
        here = request.htmx.current_url_abs_path or "/"  # type: ignore[attr-defined]
        response["HX-Redirect"] = f"{login_url}?next={quote(here)}"
        return response
    if refused is not None and request.method not in ("GET", "HEAD"):
        return domain_error_page(
            request, refused, title=refused_title, action=(login_url, "Sign in")
        )
    if refused is not None:
        return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
    return redirect_to_login(request.get_full_path(), login_url)


def add_domain_errors(
    form: forms.BaseForm, details: list[dict[str, str]], fields: dict[str, str] | None = None
) -> None:
    """Show a DomainError's field details next to the form's own fields (`fields` maps an
    API field name to the form's, when they differ); the rest go on top of the form."""
    for detail in details:
        field = (fields or {}).get(detail["field"], detail["field"])
        form.add_error(field if field in form.fields else None, detail["message"])


def form_problems(form: forms.Form) -> list[dict[str, str]]:
    """A form's own errors as DomainError details, for a service-style refusal."""
    return [
        {"field": name, "code": "invalid", "message": str(errors[0])}
        for name, errors in form.errors.items()
    ]
