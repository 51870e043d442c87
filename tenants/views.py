from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.selectors.team import active_member_count
from accounts.services.audit import client_ip
from project.errors import DomainError, InvalidInput, RateLimited
from project.pages import add_domain_errors
from project.ratelimit import enforce_rate_limit
from tenants.forms import SignUpForm
from tenants.services.signup import sign_up


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


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/landing.html", {"base_domain": settings.CRM_BASE_DOMAIN})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {"member_count": active_member_count()}
    return render(request, "tenants/home.html", context)
