"""Billing's public-schema data. For now the plans the public site prices; subscriptions,
the Stripe customer of a workspace and payments arrive with the billing issue."""

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
