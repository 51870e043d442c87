"""Chooses the workspace schema from the request's host, before anything else reads data.

Replaces django-tenants' TenantMainMiddleware: the lookup is cached (no query once warm),
the apex is recognised by CRM_BASE_DOMAIN itself, and the failures answer as a person or
an API client expects: a friendly page or the JSON error shape, 404 for an unknown host,
403 for a suspended workspace. Once the workspace is known, its time zone is the active one
for the rest of the request, so every time a page renders is in it.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django.utils import timezone

from project.errors import error_response, wants_json
from project.pages import error_page
from tenants.errors import WorkspaceReadOnly
from tenants.limits import BILLING_PAGE
from tenants.schemas import use_public_schema, use_workspace_schema
from tenants.selectors.hosts import normalise_host, workspace_for_host
from tenants.time_zones import zone_info


class WorkspaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The connection and the thread outlive the request: start every request from the
        # public schema and the platform's zone.
        use_public_schema()
        timezone.deactivate()
        try:
            host = normalise_host(request.get_host())
        except DisallowedHost:
            return self._refuse(
                request,
                status=400,
                code="host_not_allowed",
                message="This address is not served here.",
                host="",
            )

        workspace = workspace_for_host(host)
        if workspace is None:
            return self._refuse(
                request,
                status=404,
                code="workspace_not_found",
                message=f"There is no workspace at {host}. Check the address for typos.",
                host=host,
            )
        if workspace.is_suspended:
            return self._refuse(
                request,
                status=403,
                code="workspace_suspended",
                message="This workspace is suspended. Its owner can contact support to restore it.",
                host=host,
            )

        workspace.domain_url = host
        request.tenant = workspace  # type: ignore[attr-defined]
        use_workspace_schema(workspace)
        structlog.contextvars.bind_contextvars(schema=workspace.schema_name)
        if workspace.is_public:
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
        else:
            timezone.activate(zone_info(workspace.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _refuse(
        request: HttpRequest, *, status: int, code: str, message: str, host: str
    ) -> HttpResponse:
        if wants_json(request):
            return error_response(code, message, status=status)
        context = {
            "status": status,
            "code": code,
            "message": message,
            "host": host,
            "apex_url": apex_url(),
        }
        return render(request, "errors/workspace.html", context, status=status)


def apex_url() -> str:
    """The platform's own site (landing page, sign-up), where a lost visitor starts again."""
    port = f":{settings.CRM_PUBLIC_PORT}" if settings.CRM_PUBLIC_PORT else ""
    return f"{settings.CRM_PUBLIC_SCHEME}://{settings.CRM_BASE_DOMAIN}{port}"


# What a read-only workspace may still do besides reading: sign in and out, reset a password,
# get an API token, subscribe again (Settings -> Billing and the billing API), record what
# the email provider reports, and let a lead unsubscribe. Exports are GETs.
READ_ONLY_OPEN_PATHS = (
    "/login/",
    "/logout/",
    "/auth/",
    "/password-reset/",
    "/api/v1/auth/",
    BILLING_PAGE,
    "/api/v1/billing/",
    "/webhooks/",
    "/unsubscribe/",
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class ReadOnlyWorkspaceMiddleware:
    """Refuse every change to a read-only workspace (its subscription ended and the grace
    period is over) with 402 `workspace_read_only`: the error shape for the API and htmx,
    a page that says how to subscribe again for a person. Reading and exporting go on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        workspace = getattr(request, "tenant", None)
        if (
            request.method not in SAFE_METHODS
            and workspace is not None
            and not workspace.is_public
            and workspace.is_read_only
            and not request.path.startswith(READ_ONLY_OPEN_PATHS)
        ):
            return refuse_read_only(request)
        return self.get_response(request)


def refuse_read_only(request: HttpRequest) -> HttpResponse:
    refusal = WorkspaceReadOnly()
    if wants_json(request) or request.headers.get("HX-Request"):
        return error_response(refusal.code, refusal.message, status=refusal.status)
    return error_page(
        request,
        status=refusal.status,
        code=refusal.code,
        title="This workspace is read-only",
        message=f"{refusal.message} Everything is still here to see and export.",
        action=(BILLING_PAGE, "Open Settings → Billing"),
    )
