"""The demo workspace's payments, so that a newcomer's dashboard, Payments page and lead
pages show revenue before any Stripe account is connected. Development and tests only (the
demo command refuses elsewhere); the Stripe ids say "demo" so nobody mistakes them."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from billing.payments.models import Payment
from crm.models import Lead, Product

DEMO_PAYMENTS = 60


@transaction.atomic
def seed_demo_payments() -> int:
    """Paid, partly refunded and refunded payments over the last year from the demo's
    customers, once; returns how many it made (0 when they exist or nothing is for sale)."""
    if Payment.objects.exists():
        return 0
    products = list(Product.objects.filter(active=True, price__gt=0).order_by("id"))
    buyers = list(
        Lead.objects.filter(status=Lead.Status.CUSTOMER).exclude(email="").order_by("id")[:200]
    )
    if not products or not buyers:
        return 0
    rng = random.Random(2611)  # noqa: S311 - demo data, not security
    now = timezone.now()
    payments = []
    for number in range(DEMO_PAYMENTS):
        product, lead = rng.choice(products), rng.choice(buyers)
        amount = int(product.price * 100)
        status = rng.choices(
            [Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED, Payment.Status.REFUNDED],
            weights=[90, 6, 4],
        )[0]
        refunded = {
            Payment.Status.PAID: 0,
            Payment.Status.PARTIALLY_REFUNDED: amount // 2,
            Payment.Status.REFUNDED: amount,
        }[status]
        payments.append(
            Payment(
                lead=lead,
                product=product,
                amount=amount,
                currency=product.currency.upper(),
                refunded_amount=refunded,
                status=status,
                customer_email=lead.email or "",
                stripe_payment_intent_id=f"pi_demo_{number:04d}",
                paid_at=now
                - timedelta(days=365 * rng.random() ** 1.3, minutes=rng.uniform(1, 900)),
            )
        )
    Payment.objects.bulk_create(payments)
    return len(payments)
