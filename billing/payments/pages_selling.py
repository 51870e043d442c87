"""The workspace's selling pages: Settings -> Payments (connect the workspace's own Stripe
account and see whether it can take charges), and the lead page's payments card and "Take a
payment" (crm embeds them by URL and htmx: crm may not import billing). Every change goes
through the services the REST API uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from billing.models import ConnectAccount
from billing.payments.amounts import format_amount
from billing.payments.errors import PaymentsNotReady, ProductNotSellable
from billing.payments.models import PaymentLink
from billing.payments.money import to_minor_units
from billing.payments.selectors import lead_payments as payment_rows
from billing.payments.services.links import create_payment_link
from billing.selectors.connect import workspace_connect_account
from billing.services.connect import refresh_stripe_account, start_stripe_onboarding
from crm.models import Lead, Product
from crm.selectors.leads import get_lead
from project.errors import Forbidden
from project.pages import page
from tenants.schemas import current_workspace


def _back_to_settings(request: HttpRequest) -> tuple[str, str] | None:
    if not can(signed_in_user(request), Action.MANAGE_WORKSPACE):
        return None
    return ("/settings/payments/", "Back to Settings -> Payments")


def _back_to_leads(request: HttpRequest) -> tuple[str, str] | None:
    return ("/leads/", "Back to leads")


settings_page = page(back=_back_to_settings)
lead_page = page(back=_back_to_leads)


def _require_manager(request: HttpRequest) -> None:
    if not can(signed_in_user(request), Action.MANAGE_WORKSPACE):
        raise Forbidden(
            "Only admins and owners connect the workspace's Stripe account. Ask one of them."
        )


def missing_steps(account: ConnectAccount | None) -> list[str]:
    """What stands between the workspace and taking payments, in words."""
    if account is None:
        return ["Connect a Stripe account"]
    steps = []
    if not account.details_submitted:
        steps.append("Finish Stripe's onboarding form (business and bank details)")
    if not account.charges_enabled:
        steps.append("Wait for Stripe to enable charges (it may ask for more details)")
    if not account.payouts_enabled:
        steps.append("Payouts are not enabled yet: Stripe holds the money until they are")
    return steps


@settings_page
@require_GET
def payments_settings(request: HttpRequest) -> HttpResponse:
    """/settings/payments/: connected or not, ready to take charges or what is missing."""
    _require_manager(request)
    account = workspace_connect_account()
    return _allow_form_to_stripe(
        render(
            request,
            "payments/settings.html",
            {"account": account, "missing": missing_steps(account)},
        )
    )


def _onboarding(request: HttpRequest) -> HttpResponse:
    base = current_workspace().url
    url = start_stripe_onboarding(
        actor=signed_in_user(request),
        refresh_url=f"{base}/settings/payments/refresh/",
        return_url=f"{base}/settings/payments/return/",
    )
    return redirect(url)


def stripe_onboarding_origin() -> str:
    """Where Stripe's hosted onboarding lives: connect.stripe.com, or the double's address
    when the API is pointed elsewhere (development, tests)."""
    api = urlsplit(settings.STRIPE_API_BASE)
    if api.netloc == "api.stripe.com":
        return "https://connect.stripe.com"
    return f"{api.scheme}://{api.netloc}"


def _allow_form_to_stripe(response: HttpResponse) -> HttpResponse:
    """Browsers apply a page's form-action to where its form's answer redirects, so the page
    whose button leads to Stripe's onboarding allows that origin (only that page, only it)."""
    response._csp_update = {"form-action": [stripe_onboarding_origin()]}  # type: ignore[attr-defined]
    return response


@settings_page
@require_POST
def payments_connect(request: HttpRequest) -> HttpResponse:
    """ "Connect Stripe" / "Continue setup": to Stripe's hosted onboarding."""
    _require_manager(request)
    return _onboarding(request)


@settings_page
@require_GET
def payments_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe sends the visitor here when an onboarding link expired: a fresh one."""
    _require_manager(request)
    return _onboarding(request)


@settings_page
@require_GET
def payments_return(request: HttpRequest) -> HttpResponse:
    """Back from Stripe's onboarding: ask Stripe how the account stands now."""
    _require_manager(request)
    account = refresh_stripe_account()
    if account.is_ready:
        messages.success(request, "Stripe is connected: this workspace can take payments.")
    else:
        messages.warning(
            request, "Stripe is connected, but cannot take charges yet: see what is missing."
        )
    return redirect("payments_settings")


@lead_page
@require_GET
def lead_payments(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The lead page's Payments card (htmx): what the lead paid, and a way to take more."""
    lead = get_lead(lead_id)
    return render(
        request,
        "payments/_lead_payments.html",
        {
            "lead": lead,
            "payments": payment_rows.lead_payments(lead),
            "links": payment_rows.lead_payment_links(lead)[:5],
        },
    )


def product_choice_label(product: Product) -> str:
    price = format_amount(to_minor_units(product.price, product.currency), product.currency)
    every = f" / {product.get_interval_display().lower()}" if product.interval else ""
    return f"{product.name} · {price}{every}"


class TakePaymentForm(forms.Form):
    product = forms.ChoiceField(label="Product")
    kind = forms.ChoiceField(
        label="How",
        choices=[
            (
                PaymentLink.Kind.CHECKOUT_SESSION,
                "Checkout page for this lead (expires in 24 hours)",
            ),
            (PaymentLink.Kind.PAYMENT_LINK, "Reusable payment link for this product"),
        ],
        initial=PaymentLink.Kind.CHECKOUT_SESSION,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [  # type: ignore[attr-defined]
            ("", "Choose a product"),
            *[
                (str(product.pk), product_choice_label(product))
                for product in payment_rows.sellable_products()
            ],
        ]


def _take_context(request: HttpRequest, lead: Lead, **extra: Any) -> dict[str, Any]:
    account = workspace_connect_account()
    return {
        "lead": lead,
        "ready": account is not None and account.is_ready,
        "can_connect": can(signed_in_user(request), Action.MANAGE_WORKSPACE),
        "has_products": payment_rows.sellable_products().exists(),
        **extra,
    }


@lead_page
@require_http_methods(["GET", "POST"])
def lead_take_payment(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The "Take a payment" page: choose a product, get a Checkout page or a payment link to
    send. A made link is shown after a redirect (?made=<id>), so reloading makes no other."""
    lead = get_lead(lead_id)
    made = request.GET.get("made", "")
    if request.method == "GET" and made.isdigit():
        link = payment_rows.lead_payment_links(lead).filter(pk=int(made)).first()
        if link is not None:
            return render(
                request, "payments/take_payment.html", _take_context(request, lead, link=link)
            )
    form = TakePaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = create_payment_link(
                actor=signed_in_user(request),
                product_id=int(form.cleaned_data["product"]),
                lead_id=lead.pk,
                kind=form.cleaned_data["kind"],
            )
        except (PaymentsNotReady, ProductNotSellable) as refused:
            form.add_error(None, refused.message)
        else:
            return redirect(f"{request.path}?made={link.pk}")
    status = 422 if form.errors else 200
    return render(
        request,
        "payments/take_payment.html",
        _take_context(request, lead, form=form),
        status=status,
    )


@require_GET
def payment_thanks(request: HttpRequest) -> HttpResponse:
    """Where Stripe sends a lead after paying (no sign-in: the lead is not a member)."""
    return render(request, "payments/thanks.html", {"workspace_name": current_workspace().name})
