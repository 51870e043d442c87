from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.services.audit import client_ip
from billing.selectors.plans import plans_on_sale
from project.errors import DomainError, InvalidInput, RateLimited
from project.pages import add_domain_errors
from project.ratelimit import enforce_rate_limit
from tenants.forms import FindWorkspaceForm, SignUpForm, WaitlistForm
from tenants.services.find_workspace import email_workspace_links
from tenants.services.signup import sign_up
from tenants.services.waitlist import join_waitlist


def signup(request: HttpRequest) -> HttpResponse:
    """The sign-up form: a new workspace, then straight into it, signed in."""
    form = SignUpForm(request.POST or None)
    context = {"form": form, "base_domain": settings.CRM_BASE_DOMAIN}
    if request.method == "POST" and form.is_valid():
        try:
            enforce_rate_limit(request, group="signup", key="ip", rate=settings.CRM_SIGNUP_RATE)
            result = sign_up(**form.cleaned_data, ip=client_ip(request))
        except RateLimited as error:
            response = render(
                request, "tenants/signup.html", {**context, "error": error.message}, status=429
            )
            response["Retry-After"] = str(error.retry_after)
            return response
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except DomainError as error:
            form.add_error("slug" if error.code == "slug_taken" else None, error.message)
        else:
            return redirect(result.handoff_url)
    return render(request, "tenants/signup.html", context)


def _rate_limited(
    request: HttpRequest, template: str, context: dict[str, object], error: RateLimited
) -> HttpResponse:
    response = render(request, template, {**context, "error": error.message}, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def landing(request: HttpRequest) -> HttpResponse:
    """The public site's home: what the product does, the app itself, pricing from the plans."""
    return render(
        request,
        "tenants/landing.html",
        {
            "base_domain": settings.CRM_BASE_DOMAIN,
            "plans": plans_on_sale(),
            "waitlist_form": WaitlistForm(),
        },
    )


def pricing(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "tenants/pricing.html",
        {"plans": plans_on_sale(), "waitlist_form": WaitlistForm()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def waitlist(request: HttpRequest) -> HttpResponse:
    """Join the waitlist. The same confirmation whether the address was new or already on
    it; an htmx post gets just the form's panel back (422 with the error next to the field)."""
    form = WaitlistForm(request.POST or None)
    htmx = bool(getattr(request, "htmx", False))
    template = "tenants/_waitlist.html" if htmx else "tenants/waitlist.html"
    context: dict[str, object] = {"waitlist_form": form}
    if request.method != "POST":
        return render(request, template, context)
    try:
        enforce_rate_limit(request, group="waitlist", key="ip", rate=settings.CRM_WAITLIST_RATE)
        join_waitlist(email=form.data.get("email", ""), ip=client_ip(request))
    except RateLimited as error:
        return _rate_limited(request, template, context, error)
    except InvalidInput as error:
        add_domain_errors(form, error.details)
        return render(request, template, context, status=422)
    return render(request, template, {**context, "joined": True})


@require_http_methods(["GET", "HEAD", "POST"])
def find_workspace(request: HttpRequest) -> HttpResponse:
    """Email an address the links of its workspaces. The answer is the same whether or not
    it has any; limited per IP and per address."""
    form = FindWorkspaceForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method != "POST":
        return render(request, "tenants/find_workspace.html", context)
    email = form.data.get("email", "").strip()
    try:
        enforce_rate_limit(
            request, group="find-workspace", key="ip", rate=settings.CRM_FIND_WORKSPACE_RATE_IP
        )
        enforce_rate_limit(
            request,
            group="find-workspace-email",
            key=lambda group, request: email.lower(),
            rate=settings.CRM_FIND_WORKSPACE_RATE_EMAIL,
        )
        email_workspace_links(email=email)
    except RateLimited as error:
        return _rate_limited(request, "tenants/find_workspace.html", context, error)
    except InvalidInput as error:
        add_domain_errors(form, error.details)
        return render(request, "tenants/find_workspace.html", context, status=422)
    return render(request, "tenants/find_workspace.html", {**context, "sent_to": email})
