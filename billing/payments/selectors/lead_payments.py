"""A lead's payments and the products a workspace can sell, as the lead page shows them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from billing.payments.amounts import format_amount
from billing.payments.models import Payment, PaymentLink
from crm.models import Lead, Product


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    amount: str
    refunded: str
    product: str


def lead_payments(lead: Lead, *, limit: int = 20) -> list[PaymentRow]:
    """The lead's payments, newest first, with their amounts in their own currency."""
    rows = Payment.objects.filter(lead=lead).select_related("product").order_by("-paid_at", "-id")
    return [
        PaymentRow(
            payment,
            format_amount(payment.amount, payment.currency),
            format_amount(payment.refunded_amount, payment.currency)
            if payment.refunded_amount
            else "",
            payment.product.name if payment.product else "",
        )
        for payment in rows[:limit]
    ]


def lead_payment_links(lead: Lead) -> QuerySet[PaymentLink]:
    """The payment pages made for the lead, newest first."""
    return PaymentLink.objects.filter(lead=lead).select_related("product")


def sellable_products() -> QuerySet[Product]:
    return Product.objects.filter(active=True, price__gt=0).order_by("name", "id")
