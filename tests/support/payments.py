"""Payments as test data: real rows in a workspace's schema through the ORM (the webhook
code that records them in production is tested on its own), and the products they buy."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from billing.payments.models import Payment
from crm.models import Lead, Product

_numbers = itertools.count(1)


def add_product(workspace, name: str = "Spring cohort", **fields: Any) -> int:
    with schema_context(workspace.schema_name):
        product = Product.objects.create(
            name=name, price=fields.pop("price", Decimal("120.00")), **fields
        )
    return product.pk


def add_lead(workspace, email: str, **fields: Any) -> int:
    with schema_context(workspace.schema_name):
        return Lead.objects.create(email=email, **fields).pk


def add_payment(
    workspace,
    *,
    amount: int = 10_000,
    currency: str = "USD",
    status: str = Payment.Status.PAID,
    refunded_amount: int = 0,
    paid_at: datetime | None = None,
    **fields: Any,
) -> Payment:
    """One payment in the workspace's schema, with Stripe ids of its own."""
    number = next(_numbers)
    with schema_context(workspace.schema_name):
        return Payment.objects.create(
            amount=amount,
            currency=currency,
            status=status,
            refunded_amount=refunded_amount,
            paid_at=paid_at or timezone.now(),
            stripe_payment_intent_id=f"pi_test_{workspace.slug}_{number:06d}",
            stripe_checkout_session_id=f"cs_test_{workspace.slug}_{number:06d}",
            stripe_charge_id=f"ch_test_{workspace.slug}_{number:06d}",
            **fields,
        )
