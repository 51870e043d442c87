"""Finding payments: the filters of GET /payments, the Payments page and its CSV export, the
totals per currency of a filter, and one payment by id."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django_tenants.utils import schema_context

from billing.payments.amounts import decimal_text
from billing.payments.models import Payment
from billing.payments.selectors.revenue import COUNTED_STATUSES, CurrencyRevenue, net_by_currency
from crm.selectors.export import spreadsheet_cell
from project.errors import InvalidInput, NotFound, field_error
from tenants.schemas import current_schema

CURRENCY_CODE = re.compile(r"^[A-Za-z]{3}$")
EXPORT_PAGE = 2000
EXPORT_COLUMNS = [
    "id",
    "paid_at",
    "status",
    "currency",
    "amount",
    "refunded_amount",
    "net",
    "product",
    "lead_id",
    "lead_email",
    "lead_name",
    "customer_email",
    "campaign_id",
    "stripe_checkout_session_id",
    "stripe_payment_intent_id",
    "stripe_invoice_id",
    "stripe_charge_id",
]


@dataclass(frozen=True)
class PaymentFilter:
    product_id: int | None = None
    status: str | None = None
    lead_id: int | None = None
    currency: str | None = None
    paid_after: datetime | None = None  # inclusive
    paid_before: datetime | None = None  # exclusive


def check_payment_filter(criteria: PaymentFilter) -> PaymentFilter:
    """The filter with its currency in upper case. Raises InvalidInput naming each field
    that cannot match anything a payment holds (an unknown status, a currency that is not
    three letters, a period that ends before it starts)."""
    problems = []
    if criteria.status is not None and criteria.status not in Payment.Status.values:
        problems.append(
            field_error(
                "status",
                "invalid_choice",
                f"Use one of: {', '.join(Payment.Status.values)}.",
            )
        )
    if criteria.currency is not None and not CURRENCY_CODE.match(criteria.currency):
        problems.append(
            field_error(
                "currency", "invalid_currency", "Give a three-letter ISO 4217 code, e.g. USD."
            )
        )
    if (
        criteria.paid_after is not None
        and criteria.paid_before is not None
        and criteria.paid_before <= criteria.paid_after
    ):
        problems.append(
            field_error("paid_before", "invalid_range", "paid_before must be after paid_after.")
        )
    if problems:
        raise InvalidInput(details=problems)
    if criteria.currency is None:
        return criteria
    return PaymentFilter(**{**criteria.__dict__, "currency": criteria.currency.upper()})


def filter_payments(criteria: PaymentFilter) -> QuerySet[Payment]:
    """The payments matching every filter given, newest first, with lead and product."""
    criteria = check_payment_filter(criteria)
    payments = Payment.objects.select_related("lead", "product")
    if criteria.product_id is not None:
        payments = payments.filter(product_id=criteria.product_id)
    if criteria.status:
        payments = payments.filter(status=criteria.status)
    if criteria.lead_id is not None:
        payments = payments.filter(lead_id=criteria.lead_id)
    if criteria.currency:
        payments = payments.filter(currency=criteria.currency)
    if criteria.paid_after is not None:
        payments = payments.filter(paid_at__gte=criteria.paid_after)
    if criteria.paid_before is not None:
        payments = payments.filter(paid_at__lt=criteria.paid_before)
    return payments


def get_payment(payment_id: int) -> Payment:
    payment = Payment.objects.select_related("lead", "product").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No payment with this id.")
    return payment


def currency_totals(payments: QuerySet[Payment]) -> list[CurrencyRevenue]:
    """Net revenue of the payments per currency (largest first), one entry per currency;
    never one sum across currencies."""
    return net_by_currency(payments.filter(status__in=COUNTED_STATUSES))


def _row(payment: Payment) -> list[object]:
    lead = payment.lead
    values: list[object] = [
        payment.pk,
        payment.paid_at,
        payment.status,
        payment.currency,
        decimal_text(payment.amount, payment.currency),
        decimal_text(payment.refunded_amount, payment.currency),
        decimal_text(payment.net_amount, payment.currency),
        payment.product.name if payment.product else "",
        payment.lead_id,
        lead.email if lead else "",
        lead.full_name if lead else "",
        payment.customer_email,
        payment.campaign_id,
        payment.stripe_checkout_session_id,
        payment.stripe_payment_intent_id,
        payment.stripe_invoice_id,
        payment.stripe_charge_id,
    ]
    return [spreadsheet_cell(value) for value in values]


def export_payment_rows(payments: QuerySet[Payment]) -> Iterator[str]:
    """The payments as CSV lines, newest first, read in pages so memory stays flat; every
    text cell is safe to open in a spreadsheet (the leads export's rule). The schema is
    fixed now: the lines are read later, while the response streams, and must come from
    this workspace whatever the connection is doing by then."""
    return _export_lines(payments.order_by("-paid_at", "-id"), current_schema())


def _export_lines(ordered: QuerySet[Payment], schema: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    last: tuple[datetime, int] | None = None
    while True:
        page = ordered
        if last is not None:
            page = page.filter(Q(paid_at__lt=last[0]) | Q(paid_at=last[0], id__lt=last[1]))
        with schema_context(schema):
            batch = list(page[:EXPORT_PAGE])
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(payment) for payment in batch)
        yield buffer.getvalue()
        last = (batch[-1].paid_at, batch[-1].pk)
