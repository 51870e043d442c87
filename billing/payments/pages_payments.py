"""The Payments page (/payments/): every payment the workspace took, filtered by product,
status, currency and date, a page at a time, with the net total per currency of the filter
and a CSV export of it. Every member may look; payments are recorded from Stripe."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from billing.payments.models import Payment
from billing.payments.selectors.payments import (
    PaymentFilter,
    currency_totals,
    export_payment_rows,
    filter_payments,
)
from billing.payments.selectors.revenue import has_payments
from crm.models import Product
from crm.selectors.pagination import paginate
from project.errors import InvalidInput
from project.pages import form_problems, page

PAGE_SIZE = 50


def _back_to_payments(request: HttpRequest) -> tuple[str, str] | None:
    return ("/payments/", "Back to payments")


payments_page = page(back=_back_to_payments)


class PaymentSearchForm(forms.Form):
    """The page's filters, read from the URL so a filtered list can be shared."""

    product = forms.TypedChoiceField(
        label="Product", required=False, coerce=int, empty_value=None, choices=[]
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Payment.Status.choices]
    )
    currency = forms.RegexField(
        label="Currency", required=False, regex=r"^[A-Za-z]{3}$", max_length=3
    )
    paid_from = forms.DateField(label="Paid from", required=False)
    paid_to = forms.DateField(label="Paid until", required=False)

    FILTERS = ("product", "status", "currency", "paid_from", "paid_to")

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        choice = self.fields["product"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [
            ("", "Any product"),
            *Product.objects.order_by("name", "id").values_list("id", "name"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("paid_from"), data.get("paid_to")
        if start and end and end < start:
            self.add_error("paid_to", "Pick a day on or after the first one.")
        return data

    def criteria(self) -> PaymentFilter:
        data = self.cleaned_data
        return PaymentFilter(
            product_id=data["product"],
            status=data["status"] or None,
            currency=data["currency"].upper() or None,
            paid_after=_start_of(data["paid_from"]),
            paid_before=_start_of(data["paid_to"] + timedelta(days=1)) if data["paid_to"] else None,
        )

    def filter_query(self) -> str:
        """The filters as a query string, for the export link and the page links."""
        return urlencode([(name, self.data[name]) for name in self.FILTERS if self.data.get(name)])

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.FILTERS)


def _start_of(day: date | None) -> datetime | None:
    """Midnight at the start of `day` in the workspace's time zone."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _currencies() -> list[str]:
    return list(Payment.objects.order_by("currency").values_list("currency", flat=True).distinct())


@payments_page
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    search = PaymentSearchForm(request.GET)
    context: dict[str, Any] = {
        "search": search,
        "filtered": search.is_filtered(),
        "any_payments": has_payments(),
        "can_connect": can(signed_in_user(request), Action.MANAGE_WORKSPACE),
    }
    status = 200
    if search.is_valid():
        payments = filter_payments(search.criteria())
        listed = paginate(
            payments.select_related("campaign"),
            sort="-paid_at",
            limit=PAGE_SIZE,
            cursor=request.GET.get("cursor") or None,
        )
        context.update(
            payments=listed.items,
            totals=currency_totals(payments),
            filter_query=search.filter_query(),
            next=listed.next,
            first_page=not request.GET.get("cursor"),
        )
    else:
        status = 422
    context["currencies"] = _currencies()
    return render(request, "payments/payments_list.html", context, status=status)


@payments_page
@require_GET
def payment_export(request: HttpRequest) -> HttpResponse:
    """Every payment matching the page's filter as CSV, streamed, newest first."""
    search = PaymentSearchForm(request.GET)
    if not search.is_valid():
        raise InvalidInput(details=form_problems(search))
    response = StreamingHttpResponse(
        export_payment_rows(filter_payments(search.criteria())),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="payments.csv"'
    return cast(HttpResponse, response)
