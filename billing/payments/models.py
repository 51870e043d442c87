"""Payments a workspace takes from its leads, in the workspace's own schema.

Amounts are Stripe's: integers in the currency's smallest unit (cents; yen for JPY), with the
currency beside them in upper case. Nothing here is ever summed across currencies.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q


class Payment(models.Model):
    """One payment from a lead, recorded once whatever Stripe redelivers: each Stripe id it
    carries is unique. Refunds and disputes update it; it is never deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        PARTIALLY_REFUNDED = "partially_refunded", "Partly refunded"
        REFUNDED = "refunded", "Refunded"
        DISPUTED = "disputed", "Disputed"
        FAILED = "failed", "Failed"

    lead: models.ForeignKey[Any, Any] = models.ForeignKey(
        "crm.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    product: models.ForeignKey[Any, Any] = models.ForeignKey(
        "crm.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    # The campaign the payment is attributed to (the last one whose email the lead clicked
    # within the workspace's attribution window), fixed when the payment is recorded.
    campaign: models.ForeignKey[Any, Any] = models.ForeignKey(
        "outreach.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount: models.BigIntegerField[int, int] = models.BigIntegerField()
    currency: models.CharField[str, str] = models.CharField(max_length=3)
    refunded_amount: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)
    status: models.CharField[str, str] = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PAID
    )
    customer_email: models.EmailField[str, str] = models.EmailField(max_length=254, blank=True)
    stripe_checkout_session_id: models.CharField[str | None, str | None] = models.CharField(
        max_length=100, unique=True, null=True, blank=True
    )
    stripe_payment_intent_id: models.CharField[str | None, str | None] = models.CharField(
        max_length=100, unique=True, null=True, blank=True
    )
    stripe_invoice_id: models.CharField[str | None, str | None] = models.CharField(
        max_length=100, unique=True, null=True, blank=True
    )
    stripe_charge_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True, db_index=True
    )
    stripe_payment_link_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True
    )
    stripe_subscription_id: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True
    )
    dispute_status: models.CharField[str, str] = models.CharField(max_length=40, blank=True)
    paid_at: models.DateTimeField[Any, Any] = models.DateTimeField(db_index=True)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    updated_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        indexes = [
            models.Index(fields=["product", "paid_at"], name="payments_product_paid_idx"),
            models.Index(fields=["status", "paid_at"], name="payments_status_paid_idx"),
            models.Index(fields=["campaign", "currency"], name="payments_campaign_idx"),
            models.Index(fields=["lead", "paid_at"], name="payments_lead_paid_idx"),
            # The revenue reports (billing.payments.selectors.revenue) read only counted
            # payments by paid_at: this index alone answers them (an index-only scan).
            models.Index(
                fields=["paid_at"],
                include=["currency", "amount", "refunded_amount", "product", "lead"],
                # Spelled as an OR, not IN: the template clone re-creates the index from its
                # definition and an IN list comes back spelled differently.
                condition=Q(status="paid") | Q(status="partially_refunded"),
                name="payments_revenue_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(refunded_amount__gte=0)
                & Q(refunded_amount__lte=models.F("amount")),
                name="payments_payment_amounts_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"

    @property
    def net_amount(self) -> int:
        return self.amount - self.refunded_amount


class PaymentLink(models.Model):
    """A way for a lead to pay for a product, made in the workspace's Stripe account: a
    reusable payment link, or a Checkout session for one lead."""

    class Kind(models.TextChoices):
        PAYMENT_LINK = "payment_link", "Payment link"
        CHECKOUT_SESSION = "checkout_session", "Checkout session"

    product: models.ForeignKey[Any, Any] = models.ForeignKey(
        "crm.Product", on_delete=models.CASCADE, related_name="payment_links"
    )
    lead: models.ForeignKey[Any, Any] = models.ForeignKey(
        "crm.Lead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payment_links",
    )
    kind: models.CharField[str, str] = models.CharField(max_length=20, choices=Kind.choices)
    stripe_id: models.CharField[str, str] = models.CharField(max_length=100, unique=True)
    stripe_price_id: models.CharField[str, str] = models.CharField(max_length=100, blank=True)
    url: models.URLField[str, str] = models.URLField(max_length=1000)
    created_by_id: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
        null=True, blank=True
    )
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    expires_at: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class StripePrice(models.Model):
    """The Stripe price a product sells at in the workspace's own account: made once per
    product and price (amount, currency, interval), and made again when the product's price
    changes, since Stripe prices cannot be edited. Old rows stay: links made with them still
    take payments."""

    product: models.ForeignKey[Any, Any] = models.ForeignKey(
        "crm.Product", on_delete=models.CASCADE, related_name="stripe_prices"
    )
    stripe_account_id: models.CharField[str, str] = models.CharField(max_length=100)
    stripe_price_id: models.CharField[str, str] = models.CharField(max_length=100, unique=True)
    stripe_product_id: models.CharField[str, str] = models.CharField(max_length=100, blank=True)
    unit_amount: models.BigIntegerField[int, int] = models.BigIntegerField()
    currency: models.CharField[str, str] = models.CharField(max_length=3)
    # "" for a one-time price, else Stripe's recurring interval (month, year).
    interval: models.CharField[str, str] = models.CharField(max_length=8, blank=True)
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "stripe_account_id", "unit_amount", "currency", "interval"],
                name="payments_stripeprice_one_per_price",
            ),
            models.CheckConstraint(
                condition=Q(unit_amount__gt=0), name="payments_stripeprice_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_price_id
