"""/api/v1/payments: the payments the workspace took, newest first, with filters and
cursors; their net totals per currency; and one payment by id. Read-only: payments are
recorded from Stripe's webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from billing.payments.amounts import decimal_text
from billing.payments.models import Payment
from billing.payments.selectors.payments import (
    PaymentFilter,
    currency_totals,
    filter_payments,
    get_payment,
)
from crm.selectors.pagination import MAX_LIMIT, paginate
from project.inputs import StorableDatetime

router = Router(tags=["payments"])


class PaymentLeadOut(Schema):
    id: int
    email: str | None
    name: str


class PaymentProductOut(Schema):
    id: int
    name: str


class PaymentOut(Schema):
    """Amounts are Stripe's integers in the currency's smallest unit (cents; yen for JPY);
    each `*_decimal` is the same amount as decimal text. `net` is amount less refunds."""

    id: int
    amount: int
    amount_decimal: str
    currency: str
    refunded_amount: int
    refunded_amount_decimal: str
    net: int
    net_decimal: str
    status: str
    dispute_status: str
    customer_email: str
    lead: PaymentLeadOut | None
    product: PaymentProductOut | None
    campaign_id: int | None
    stripe_checkout_session_id: str | None
    stripe_payment_intent_id: str | None
    stripe_invoice_id: str | None
    stripe_charge_id: str
    stripe_payment_link_id: str
    stripe_subscription_id: str
    paid_at: datetime
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "amount": 124000,
                    "amount_decimal": "1240.00",
                    "currency": "USD",
                    "refunded_amount": 0,
                    "refunded_amount_decimal": "0.00",
                    "net": 124000,
                    "net_decimal": "1240.00",
                    "status": "paid",
                    "lead": {"id": 7, "email": "ada@example.com", "name": "Ada Lovelace"},
                    "product": {"id": 3, "name": "12-week coaching"},
                    "campaign_id": 12,
                }
            ]
        }
    )


DatabaseId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class PaymentFilterIn(Schema):
    product_id: DatabaseId | None = None
    status: str | None = None
    lead_id: DatabaseId | None = None
    currency: str | None = None
    paid_after: StorableDatetime | None = None
    paid_before: StorableDatetime | None = None
    model_config = ConfigDict(extra="forbid")


class PaymentListParams(PaymentFilterIn):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class PaymentPage(Schema):
    items: list[PaymentOut]
    next: str | None


def payment_json(payment: Payment) -> dict[str, Any]:
    currency = payment.currency
    lead, product = payment.lead, payment.product
    return {
        **{name: getattr(payment, name) for name in PAYMENT_FIELDS},
        "amount_decimal": decimal_text(payment.amount, currency),
        "refunded_amount_decimal": decimal_text(payment.refunded_amount, currency),
        "net": payment.net_amount,
        "net_decimal": decimal_text(payment.net_amount, currency),
        "lead": {"id": lead.pk, "email": lead.email, "name": lead.full_name} if lead else None,
        "product": {"id": product.pk, "name": product.name} if product else None,
    }


PAYMENT_FIELDS = [
    name
    for name in PaymentOut.model_fields
    if name not in ("lead", "product", "net") and not name.endswith("_decimal")
]


@router.get("", response=PaymentPage)
def list_payments(request: HttpRequest, params: Query[PaymentListParams]) -> dict[str, Any]:
    """Payments, newest first (by `paid_at`), `limit` ≤ 200 per page; pass `next` back as
    `cursor`. Filters: `product_id`, `status`, `lead_id`, `currency`, and `paid_after`
    (inclusive) / `paid_before` (exclusive) as ISO 8601 times. An unknown status or a
    currency that is not three letters is 422."""
    criteria = PaymentFilter(**params.model_dump(exclude={"limit", "cursor"}))
    page = paginate(
        filter_payments(criteria), sort="-paid_at", limit=params.limit, cursor=params.cursor
    )
    return {"items": [payment_json(payment) for payment in page.items], "next": page.next}


class CurrencyTotalOut(Schema):
    """Net revenue of the matching payments in one currency: paid and partly refunded ones,
    less their refunds (minor units, and as decimal text)."""

    currency: str
    payments: int
    net: int
    net_decimal: str


class TotalsOut(Schema):
    items: list[CurrencyTotalOut]


@router.get("/totals", response=TotalsOut)
def payment_totals(request: HttpRequest, params: Query[PaymentFilterIn]) -> dict[str, Any]:
    """The net revenue of the payments the same filters match, one entry per currency
    (largest first): amounts of two currencies are never added together."""
    totals = currency_totals(filter_payments(PaymentFilter(**params.model_dump())))
    return {
        "items": [
            {
                "currency": total.currency,
                "payments": total.payments,
                "net": total.net,
                "net_decimal": total.money.decimal,
            }
            for total in totals
        ]
    }


@router.get("/{int:payment_id}", response=PaymentOut)
def get_one_payment(request: HttpRequest, payment_id: int) -> dict[str, Any]:
    return payment_json(get_payment(payment_id))
