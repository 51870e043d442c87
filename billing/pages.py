"""Settings -> Billing on the workspace's domain (the owner only): the plan, the trial,
usage against each limit and the invoices; choosing a plan opens Stripe Checkout and
"Manage billing" the Stripe customer portal (both answered with a 303 to Stripe)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from billing.errors import BillingAccountMissing
from billing.selectors.accounts import billing_overview, list_invoices
from billing.services.checkout import open_billing_portal, start_checkout
from project.errors import Forbidden
from project.pages import page
from tenants.models import Workspace

ONLY_THE_OWNER = "Only the workspace's owner manages billing. Ask them to change the plan."
# The page's forms answer with a redirect to Stripe's hosted Checkout and portal, which the
# site-wide form-action (our own origins) would stop in the browser.
STRIPE_HOSTED_PAGES = ["https://checkout.stripe.com", "https://billing.stripe.com"]


def _stripe_form_targets() -> list[str]:
    base = urlsplit(settings.STRIPE_API_BASE)
    origin = f"{base.scheme}://{base.netloc}"
    # A Stripe double (development, tests) serves its hosted pages on its own address.
    return (
        STRIPE_HOSTED_PAGES
        if origin == "https://api.stripe.com"
        else [
            *STRIPE_HOSTED_PAGES,
            origin,
        ]
    )


def _back(request: HttpRequest) -> tuple[str, str] | None:
    if can(signed_in_user(request), Action.MANAGE_BILLING):
        return ("/settings/billing/", "Back to billing")
    return ("/settings/", "Back to settings")


billing_page_view = page(back=_back)


def _workspace(request: HttpRequest) -> Workspace:
    return request.tenant  # type: ignore[attr-defined]


def _owner_only(request: HttpRequest) -> None:
    if not can(signed_in_user(request), Action.MANAGE_BILLING):
        raise Forbidden(ONLY_THE_OWNER)


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_GET
@billing_page_view
def billing_settings(request: HttpRequest) -> HttpResponse:
    _owner_only(request)
    workspace = _workspace(request)
    overview = billing_overview(workspace=workspace)
    if overview is None:
        raise BillingAccountMissing()
    checkout = request.GET.get("checkout", "")
    response = render(
        request,
        "billing/billing.html",
        {
            "overview": overview,
            "invoices": list_invoices(account=overview.account),
            # A fresh nonce per page view: one click, one Checkout session.
            "nonce": secrets.token_urlsafe(16),
            "checkout_result": checkout if checkout in {"success", "cancelled"} else "",
        },
    )
    response._csp_update = {"form-action": _stripe_form_targets()}  # type: ignore[attr-defined]
    return response


@require_POST
@billing_page_view
def billing_checkout(request: HttpRequest) -> HttpResponse:
    url = start_checkout(
        actor=signed_in_user(request),
        workspace=_workspace(request),
        plan_slug=request.POST.get("plan", "").strip(),
        interval=request.POST.get("interval", "").strip(),
        nonce=request.POST.get("nonce", "").strip(),
    )
    return _see_other(url)


@require_POST
@billing_page_view
def billing_portal(request: HttpRequest) -> HttpResponse:
    url = open_billing_portal(actor=signed_in_user(request), workspace=_workspace(request))
    return _see_other(url)
