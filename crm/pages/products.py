"""The products page: the catalogue (active and archived), a product's form for new and
edit, and archive/unarchive. Everyone sees it; crm.services.catalog decides who changes it
(admins and the owner), and the page hides what a member cannot use."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can, require
from crm.models import Product
from crm.pages.common import workspace_page
from crm.selectors.catalog import products
from crm.selectors.records import get_record
from crm.services.catalog import MAX_PRICE, create_product, update_product
from project.errors import InvalidInput
from project.pages import add_domain_errors

# The currencies a course creator sells in most; a product's own code is kept when it is
# not one of them (the API takes any ISO 4217 code).
CURRENCIES = [
    ("USD", "USD · US dollar"),
    ("EUR", "EUR · Euro"),
    ("GBP", "GBP · Pound sterling"),
    ("CAD", "CAD · Canadian dollar"),
    ("AUD", "AUD · Australian dollar"),
    ("NZD", "NZD · New Zealand dollar"),
    ("CHF", "CHF · Swiss franc"),
    ("SEK", "SEK · Swedish krona"),
    ("NOK", "NOK · Norwegian krone"),
    ("DKK", "DKK · Danish krone"),
    ("PLN", "PLN · Polish złoty"),
    ("CZK", "CZK · Czech koruna"),
    ("JPY", "JPY · Japanese yen"),
    ("SGD", "SGD · Singapore dollar"),
    ("HKD", "HKD · Hong Kong dollar"),
    ("INR", "INR · Indian rupee"),
    ("BRL", "BRL · Brazilian real"),
    ("MXN", "MXN · Mexican peso"),
    ("ZAR", "ZAR · South African rand"),
    ("AED", "AED · UAE dirham"),
]


class ProductForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=Product.Kind.choices, initial="course")
    price = forms.DecimalField(
        label="Price",
        min_value=Decimal("0"),
        max_value=MAX_PRICE,
        decimal_places=2,
        max_digits=12,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(label="Currency", choices=CURRENCIES, initial="USD")
    billing = forms.ChoiceField(
        label="Billing",
        choices=Product.Billing.choices,
        initial="one_time",
        widget=forms.RadioSelect,
    )
    interval = forms.ChoiceField(
        label="Every",
        required=False,
        choices=[("", "—"), *Product.Interval.choices],
        help_text="For a recurring product: how often it is charged.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, currency: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        codes = [code for code, _ in CURRENCIES]
        if currency and currency not in codes:
            self.fields["currency"].choices = [(currency, currency), *CURRENCIES]  # type: ignore[attr-defined]

    def product_values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _values_of(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "kind": product.kind,
        "price": product.price,
        "currency": product.currency,
        "billing": product.billing,
        "interval": product.interval,
        "description": product.description,
    }


@workspace_page
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    shown = "archived" if request.GET.get("show") == "archived" else "active"
    catalogue = products()
    return render(
        request,
        "crm/products/list.html",
        {
            "products": list(catalogue.filter(active=shown == "active")),
            "shown": shown,
            "active_count": catalogue.filter(active=True).count(),
            "archived_count": catalogue.filter(active=False).count(),
            "can_manage": can(signed_in_user(request), Action.MANAGE_PRODUCTS),
        },
    )


def _save(request: HttpRequest, form: ProductForm, product: Product | None) -> HttpResponse | None:
    """Create or update through the catalogue service; None when the form shows errors."""
    if not form.is_valid():
        return None
    actor = signed_in_user(request)
    try:
        if product is None:
            saved = create_product(actor=actor, **form.product_values())
        else:
            saved = update_product(
                actor=actor, product_id=product.pk, changes=form.product_values()
            )
    except InvalidInput as error:
        add_domain_errors(form, error.details)
        return None
    messages.success(request, f"{saved.name} is {'added' if product is None else 'saved'}.")
    return redirect("product_list")


@workspace_page
@require_http_methods(["GET", "POST"])
def product_new(request: HttpRequest) -> HttpResponse:
    require(signed_in_user(request), Action.MANAGE_PRODUCTS)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and (done := _save(request, form, None)):
        return done
    status = 422 if form.errors else 200
    return render(request, "crm/products/form.html", {"form": form}, status=status)


@workspace_page
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    product = get_record(Product, product_id)
    require(signed_in_user(request), Action.MANAGE_PRODUCTS)
    form = ProductForm(request.POST or None, initial=_values_of(product), currency=product.currency)
    if request.method == "POST" and (done := _save(request, form, product)):
        return done
    status = 422 if form.errors else 200
    return render(
        request, "crm/products/form.html", {"form": form, "product": product}, status=status
    )


@workspace_page
@require_POST
def product_archive(request: HttpRequest, product_id: int) -> HttpResponse:
    """Archive (active=no) or bring back (active=yes) a product; its sales stay."""
    active = request.POST.get("active") == "yes"
    product = update_product(
        actor=signed_in_user(request), product_id=product_id, changes={"active": active}
    )
    if active:
        messages.success(request, f"{product.name} is back in the catalogue.")
        return redirect("/products/?show=archived")
    messages.success(request, f"{product.name} is archived: it stays on past sales.")
    return redirect("/products/")
