"""The platform console on the apex domain: staff sign-in, workspaces, the audit log.

Pages need an active staff account of the public schema. A visitor without one is sent to
the sign-in page on GET; a POST from them is refused with 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.services.audit import client_ip
from billing.models import Plan
from billing.selectors.accounts import console_plans, platform_mrr
from billing.services.plans import save_plan
from project.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    RateLimited,
)
from project.pages import add_domain_errors, domain_error_page, page
from project.ratelimit import enforce_rate_limit
from tenants.console.forms import NewWorkspaceForm, PlanForm, StaffSignInForm
from tenants.models import Workspace
from tenants.selectors.console import (
    describe_workspace,
    get_console_workspace,
    public_audit_actions,
    public_audit_events,
    summarise_workspaces,
)
from tenants.selectors.waitlist import search_waitlist, waitlist_csv
from tenants.services.console import (
    NotStaff,
    check_staff_credentials,
    create_workspace_for_customer,
    is_staff,
    reactivate_workspace,
    record_staff_sign_out,
    record_workspace_view,
    set_email_send_rate,
    suspend_workspace,
)

# Console sessions are short: a staff session can suspend any customer.
CONSOLE_SESSION_AGE = timedelta(hours=8)

View = Callable[..., HttpResponse]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    return render(request, template, context, status=status)


def _not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    return domain_error_page(request, error, title="Workspace not found")


# GET from a non-staff visitor: to the sign-in page; any other method: 403.
staff_only = page(
    login_url="/console/login/",
    allow=is_staff,
    refused=NotStaff(),
    refused_title="Staff only",
)


def _safe_next(request: HttpRequest, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/console/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, reverse("console:workspaces"))
    if is_staff(request.user):
        return redirect(next_url)
    form = StaffSignInForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            enforce_rate_limit(
                request, group="console-login", key="ip", rate=settings.CRM_LOGIN_RATE_IP
            )
            enforce_rate_limit(
                request,
                group="console-login-email",
                key=lambda group, request: email.strip().lower(),
                rate=settings.CRM_LOGIN_RATE_EMAIL,
            )
            user = check_staff_credentials(
                email=email, password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except RateLimited as error:
            response = _render(
                request, "console/login.html", {**context, "error": error.message}, status=429
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        except DomainError as error:
            context["error"] = error.message
            return _render(request, "console/login.html", context)
        # login() rotates the session key, so a planted session id never gains a sign-in.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session.set_expiry(int(CONSOLE_SESSION_AGE.total_seconds()))
        return redirect(next_url)
    return _render(request, "console/login.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if is_staff(request.user):
        record_staff_sign_out(staff_user=signed_in_user(request), ip=client_ip(request))
    logout(request)
    messages.success(request, "You are signed out of the console.")
    return redirect("console:login")


@require_GET
@staff_only
def workspace_list(request: HttpRequest) -> HttpResponse:
    summaries = summarise_workspaces(
        query=request.GET.get("q", ""), page=request.GET.get("page", 1)
    )
    return _render(
        request,
        "console/workspace_list.html",
        {"summaries": summaries, "mrr": platform_mrr(), "section": "workspaces"},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_only
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = NewWorkspaceForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = create_workspace_for_customer(
                staff_user=signed_in_user(request), ip=client_ip(request), **form.cleaned_data
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
            status = error.status
        except DomainError as error:
            form.add_error("slug" if error.code == "slug_taken" else None, error.message)
            status = error.status
        else:
            messages.success(request, f"Created {created.name} at {created.url}.")
            return redirect("console:workspace", workspace_id=created.pk)
    return _render(
        request,
        "console/workspace_form.html",
        {"form": form, "base_domain": settings.CRM_BASE_DOMAIN, "section": "new"},
        status=status,
    )


@require_GET
@staff_only
def workspace_detail(request: HttpRequest, workspace_id: int) -> HttpResponse:
    try:
        viewed = get_console_workspace(workspace_id=workspace_id)
    except NotFound as error:
        return _not_found(request, error)
    record_workspace_view(
        staff_user=signed_in_user(request), workspace=viewed, ip=client_ip(request)
    )
    # Not named "workspace": the context processor's `workspace` (the apex) drives base.html.
    return _render(
        request,
        "console/workspace_detail.html",
        {
            "detail": describe_workspace(workspace=viewed),
            "section": "workspaces",
            "default_send_rate": settings.CRM_EMAIL_SEND_RATE,
        },
    )


def _status_action(
    change: Callable[..., Workspace], done: str
) -> Callable[[HttpRequest, int], HttpResponse]:
    @require_POST
    @staff_only
    def act(request: HttpRequest, workspace_id: int) -> HttpResponse:
        try:
            target = get_console_workspace(workspace_id=workspace_id)
            changed = change(
                staff_user=signed_in_user(request), workspace=target, ip=client_ip(request)
            )
        except NotFound as error:
            return _not_found(request, error)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{changed.name} ({changed.slug}) {done}.")
        return redirect(_safe_next(request, reverse("console:workspace", args=[workspace_id])))

    return act


workspace_suspend = _status_action(suspend_workspace, "is suspended: its address now answers 403")
workspace_reactivate = _status_action(reactivate_workspace, "is active again")


@require_POST
@staff_only
def workspace_send_rate(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """The workspace's campaign email per second; empty restores the platform default."""
    back = redirect("console:workspace", workspace_id=workspace_id)
    raw = request.POST.get("email_send_rate", "").strip().replace(",", "")
    if raw and not raw.isdigit():
        messages.error(request, "Give a whole number of emails per second, or leave it empty.")
        return back
    try:
        target = get_console_workspace(workspace_id=workspace_id)
        changed = set_email_send_rate(
            staff_user=signed_in_user(request),
            workspace=target,
            rate=int(raw) if raw else None,
            ip=client_ip(request),
        )
    except NotFound as error:
        return _not_found(request, error)
    except DomainError as error:
        messages.error(request, error.details[0]["message"] if error.details else error.message)
        return back
    rate = changed.email_send_rate
    messages.success(
        request,
        f"{changed.name} may now send {rate:,} campaign emails per second."
        if rate
        else f"{changed.name} sends at the platform default "
        f"({settings.CRM_EMAIL_SEND_RATE:,} per second).",
    )
    return back


@require_GET
@staff_only
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "").strip()
    return _render(
        request,
        "console/audit_log.html",
        {
            "events": public_audit_events(action=action),
            "actions": public_audit_actions(),
            "action": action,
            "section": "audit",
        },
    )


@require_GET
@staff_only
def waitlist(request: HttpRequest) -> HttpResponse:
    """Who joined the waitlist, newest first, searchable by a part of the address."""
    return _render(
        request,
        "console/waitlist.html",
        {
            "waitlist": search_waitlist(
                query=request.GET.get("q", ""), page=request.GET.get("page", 1)
            ),
            "section": "waitlist",
        },
    )


@require_GET
@staff_only
def waitlist_export(request: HttpRequest) -> HttpResponse:
    """The waitlist (or the part the search matches) as CSV, safe to open in a spreadsheet."""
    response = StreamingHttpResponse(
        waitlist_csv(query=request.GET.get("q", "")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="waitlist.csv"'
    return response  # type: ignore[return-value]  # streamed: the page decorator passes it on


@require_GET
@staff_only
def plan_list(request: HttpRequest) -> HttpResponse:
    """Every plan (on sale or not), with how many workspaces are on each."""
    return _render(
        request, "console/plan_list.html", {"plans": console_plans(), "section": "plans"}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_only
def plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    plan = Plan.objects.filter(pk=plan_id).first() if plan_id is not None else None
    if plan_id is not None and plan is None:
        return _not_found(request, NotFound("There is no plan with this id."))
    form = PlanForm(request.POST or None, instance=plan)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = save_plan(
                    staff_user=signed_in_user(request),
                    plan=plan,
                    changes=form.cleaned_data,
                    ip=client_ip(request),
                )
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                messages.success(request, f"Saved the {saved.name} plan.")
                return redirect("console:plans")
        status = 422
    return _render(
        request,
        "console/plan_form.html",
        {"form": form, "plan": plan, "section": "plans"},
        status=status,
    )
