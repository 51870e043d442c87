"""Billing's public-schema data: the plans, each workspace's Stripe customer and subscription,
the Stripe events applied, and each workspace's own (Connect) Stripe account."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models


class Plan(models.Model):
    """A plan the platform sells, as data: the pricing page and (next) Stripe Checkout read it.

    A limit left empty means unlimited. Prices are whole amounts in `currency` (no cents
    arithmetic in templates); the Stripe price ids stay blank until billing creates them.
    """

    name: models.CharField[str, str] = models.CharField(max_length=60)
    slug: models.SlugField[str, str] = models.SlugField(max_length=40, unique=True)
    tagline: models.CharField[str, str] = models.CharField(max_length=160, blank=True)
    currency: models.CharField[str, str] = models.CharField(max_length=3, default="USD")
    monthly_price: models.DecimalField[Decimal, Decimal] = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0")
    )
    yearly_price: models.DecimalField[Decimal, Decimal] = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0")
    )
    stripe_monthly_price_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True
    )
    stripe_yearly_price_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True
    )
    seat_limit: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True, blank=True
    )
    lead_limit: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True, blank=True
    )
    monthly_email_limit: models.PositiveIntegerField[int | None, int | None] = (
        models.PositiveIntegerField(null=True, blank=True)
    )
    monthly_sms_segment_limit: models.PositiveIntegerField[int | None, int | None] = (
        models.PositiveIntegerField(null=True, blank=True)
    )
    trial_days: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=0
    )
    is_active: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    order: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(default=0)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "monthly_price", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(monthly_price__gte=0) & models.Q(yearly_price__gte=0),
                name="billing_plan_prices_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.monthly_price == 0 and self.yearly_price == 0


class BillingAccount(models.Model):
    """A workspace as the platform's Stripe customer: its plan and its subscription as Stripe
    last told us. Written only by billing's services, which copy the plan's limits and the
    standing onto the Workspace in the same transaction."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    workspace: models.OneToOneField[Any, Any] = models.OneToOneField(
        "tenants.Workspace", on_delete=models.CASCADE, related_name="billing"
    )
    plan: models.ForeignKey[Plan, Plan] = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="accounts"
    )
    interval: models.CharField[str, str] = models.CharField(
        max_length=8, choices=Interval.choices, default=Interval.MONTH
    )
    stripe_customer_id: models.CharField[str | None, str | None] = models.CharField(
        max_length=100, unique=True, null=True, blank=True
    )
    stripe_subscription_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True, db_index=True
    )
    # Stripe's own word for the subscription (trialing, active, past_due, canceled, unpaid,
    # incomplete, incomplete_expired, paused); empty before there is one.
    subscription_status: models.CharField[str, str] = models.CharField(max_length=24, blank=True)
    trial_ends_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    current_period_end: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    past_due_since: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    ended_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    updated: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.plan_id} ({self.subscription_status or 'none'})"


class StripeEvent(models.Model):
    """Every Stripe event we applied, once: the unique event id is claimed in the same
    transaction as the event's effects, so a redelivery (or two at once) changes nothing."""

    event_id: models.CharField[str, str] = models.CharField(max_length=100, unique=True)
    type: models.CharField[str, str] = models.CharField(max_length=100)
    # The connected account the event came from; empty for the platform's own events.
    account: models.CharField[str, str] = models.CharField(max_length=100, blank=True)
    # The workspace it was applied to, when there is one (null: platform-wide or unrouted).
    workspace_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True
    )
    outcome: models.CharField[str, str] = models.CharField(max_length=40, blank=True)
    stripe_created: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    received_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["account", "received_at"], name="billing_event_acct_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class ConnectAccount(models.Model):
    """A workspace's own Stripe account (Connect), through which it sells to its leads. Kept
    in the public schema so that a Connect webhook finds its workspace by account id."""

    workspace: models.OneToOneField[Any, Any] = models.OneToOneField(
        "tenants.Workspace", on_delete=models.CASCADE, related_name="stripe_account"
    )
    stripe_account_id: models.CharField[str, str] = models.CharField(max_length=100, unique=True)
    charges_enabled: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    payouts_enabled: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    details_submitted: models.BooleanField[bool, bool] = models.BooleanField(default=False)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    updated: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.stripe_account_id

    @property
    def is_ready(self) -> bool:
        return self.charges_enabled and self.details_submitted


class InvoiceNotice(models.Model):
    """An email we sent the owner about one of the platform's invoices (a failed payment),
    at most one per invoice and kind: the unique pair is claimed in the webhook's
    transaction, so a redelivery or a second event about the same invoice sends nothing."""

    class Kind(models.TextChoices):
        PAYMENT_FAILED = "payment_failed", "Payment failed"

    workspace: models.ForeignKey[Any, Any] = models.ForeignKey(
        "tenants.Workspace", on_delete=models.CASCADE, related_name="invoice_notices"
    )
    invoice_id: models.CharField[str, str] = models.CharField(max_length=100)
    kind: models.CharField[str, str] = models.CharField(max_length=24, choices=Kind.choices)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice_id", "kind"], name="billing_invoice_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.invoice_id}"
