"""The owner starts a subscription (Stripe Checkout) or manages it (the customer portal).
Nothing is written on our side: Stripe's webhooks bring the outcome back."""

from __future__ import annotations

import re
from datetime import timedelta

import structlog
from django.utils import timezone
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsSubscriptionData

from accounts.models import User
from accounts.permissions import Action, require
from billing.errors import AlreadySubscribed, BillingAccountMissing, PlanNotPurchasable
from billing.models import BillingAccount, Plan
from billing.selectors.accounts import LIVE_STATUSES
from billing.services.accounts import ensure_stripe_customer
from billing.stripe_api import idempotent, stripe_client
from billing.stripe_calls import stripe_call
from project.errors import InvalidInput, field_error
from tenants.models import Workspace

log = structlog.get_logger(__name__)

BILLING_PAGE = "/settings/billing/"
NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Stripe takes a trial end at least this far ahead; closer, the subscription starts at once.
MIN_TRIAL_LEFT = timedelta(days=2)


def _account(workspace: Workspace) -> BillingAccount:
    account = BillingAccount.objects.select_related("plan").filter(workspace=workspace).first()
    if account is None:
        raise BillingAccountMissing()
    return account


def _price_id(*, plan_slug: str, interval: str) -> tuple[Plan, str]:
    errors = []
    if interval not in BillingAccount.Interval.values:
        errors.append(field_error("interval", "invalid_choice", "Choose monthly or yearly."))
    plan = Plan.objects.filter(slug=plan_slug, is_active=True).first()
    if plan is None:
        errors.append(field_error("plan", "invalid_choice", "Choose one of the plans shown."))
    if errors or plan is None:
        raise InvalidInput(details=errors)
    price_id = (
        plan.stripe_monthly_price_id
        if interval == BillingAccount.Interval.MONTH
        else plan.stripe_yearly_price_id
    )
    if plan.is_free or not price_id:
        raise PlanNotPurchasable()
    return plan, price_id


def start_checkout(
    *, actor: User, workspace: Workspace, plan_slug: str, interval: str, nonce: str
) -> str:
    """A Stripe Checkout session (mode subscription) for the plan and period, on the
    workspace's customer; returns its URL. The idempotency key names the workspace, the
    price and the click's nonce, so a double-submitted form opens one session. Raises
    Forbidden, InvalidInput, PlanNotPurchasable, AlreadySubscribed, StripeUnavailable."""
    require(actor, Action.MANAGE_BILLING)
    if not NONCE.match(nonce or ""):
        raise InvalidInput(
            details=[field_error("nonce", "invalid", "Reload the page and choose again.")]
        )
    plan, price_id = _price_id(plan_slug=plan_slug, interval=interval)
    account = _account(workspace)
    if account.stripe_subscription_id and account.subscription_status in LIVE_STATUSES:
        raise AlreadySubscribed()
    customer = ensure_stripe_customer(workspace_id=workspace.pk)
    back = f"{workspace.url}{BILLING_PAGE}"
    metadata = {"workspace_id": str(workspace.pk), "plan": plan.slug}
    subscription_data: SessionCreateParamsSubscriptionData = {"metadata": metadata}
    trial_left = (account.trial_ends_at - timezone.now()) if account.trial_ends_at else None
    if trial_left is not None and trial_left > MIN_TRIAL_LEFT and not account.subscription_status:
        # Subscribing during the trial keeps the days left: the first charge is at its end.
        subscription_data["trial_end"] = int(account.trial_ends_at.timestamp())
    with stripe_call("create_checkout_session"):
        params: SessionCreateParams = {
            "mode": "subscription",
            "customer": customer,
            "line_items": [{"price": price_id, "quantity": 1}],
            "client_reference_id": str(workspace.pk),
            "metadata": metadata,
            "subscription_data": subscription_data,
            "success_url": f"{back}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{back}?checkout=cancelled",
        }
        session = stripe_client().v1.checkout.sessions.create(
            params=params,
            options=idempotent("checkout", workspace.pk, price_id, nonce),
        )
    log.info("checkout_started", workspace_id=workspace.pk, plan=plan.slug, interval=interval)
    return str(session.url)


def open_billing_portal(*, actor: User, workspace: Workspace) -> str:
    """A Stripe customer portal session for the workspace (change plan or card, cancel,
    invoices); returns its URL. Raises Forbidden, StripeUnavailable, StripeNotConfigured."""
    require(actor, Action.MANAGE_BILLING)
    _account(workspace)
    customer = ensure_stripe_customer(workspace_id=workspace.pk)
    with stripe_call("create_portal_session"):
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": f"{workspace.url}{BILLING_PAGE}"}
        )
    return str(session.url)
