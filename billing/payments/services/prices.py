"""A product's price in the workspace's Stripe account: one Stripe price per product and
price, made on first use and again whenever the product's price, currency or interval
changes (Stripe prices cannot be edited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from billing.models import ConnectAccount
from billing.payments.errors import ProductNotSellable
from billing.payments.models import StripePrice
from billing.payments.money import to_minor_units
from billing.stripe_api import idempotent, stripe_client
from billing.stripe_calls import stripe_call
from crm.models import Product


@dataclass(frozen=True)
class PriceTerms:
    """What a Stripe price for the product must say, from the product as it is now."""

    unit_amount: int
    currency: str
    interval: str  # "" for one-time

    @classmethod
    def of(cls, product: Product) -> PriceTerms:
        if not product.active:
            raise ProductNotSellable(
                f"{product.name} is archived; bring it back in Products before selling it."
            )
        amount = to_minor_units(product.price, product.currency)
        if amount <= 0:
            raise ProductNotSellable(
                f"{product.name} is free; Stripe takes payments above zero only. "
                "Give it a price in Products first."
            )
        interval = product.interval if product.billing == Product.Billing.RECURRING else ""
        return cls(amount, product.currency.upper(), interval)


def stripe_price_for(*, product: Product, account: ConnectAccount) -> StripePrice:
    """The Stripe price selling `product` at its current price in `account`, made (with an
    idempotency key naming the product and its terms, so a retry never makes two) the first
    time these terms are sold. Raises ProductNotSellable, StripeUnavailable."""
    terms = PriceTerms.of(product)
    known = StripePrice.objects.filter(
        product=product,
        stripe_account_id=account.stripe_account_id,
        unit_amount=terms.unit_amount,
        currency=terms.currency,
        interval=terms.interval,
    ).first()
    if known is not None:
        return known
    earlier = (
        StripePrice.objects.filter(product=product, stripe_account_id=account.stripe_account_id)
        .exclude(stripe_product_id="")
        .values_list("stripe_product_id", flat=True)
        .first()
    )
    params: dict[str, object] = {
        "unit_amount": terms.unit_amount,
        "currency": terms.currency.lower(),
        "metadata": {"product_id": str(product.pk)},
    }
    if earlier:
        params["product"] = earlier
    else:
        params["product_data"] = {"name": product.name, "metadata": {"product_id": str(product.pk)}}
    if terms.interval:
        params["recurring"] = {"interval": terms.interval}
    with stripe_call("price_create"):
        price = stripe_client().v1.prices.create(
            params=params,  # type: ignore[arg-type]
            options=idempotent(
                "price",
                product.pk,
                terms.unit_amount,
                terms.currency,
                terms.interval or "once",
                account=account.stripe_account_id,
            ),
        )
    return _remember_price(
        product=product,
        account=account,
        terms=terms,
        stripe_price_id=str(price.id),
        stripe_product_id=str(price.product or ""),
    )


def _remember_price(
    *,
    product: Product,
    account: ConnectAccount,
    terms: PriceTerms,
    stripe_price_id: str,
    stripe_product_id: str,
) -> StripePrice:
    """Keep the mapping; a concurrent caller that stored the same terms first wins (the
    idempotency key gave both the same price)."""
    try:
        with transaction.atomic():
            return StripePrice.objects.create(
                product=product,
                stripe_account_id=account.stripe_account_id,
                stripe_price_id=stripe_price_id,
                stripe_product_id=stripe_product_id,
                unit_amount=terms.unit_amount,
                currency=terms.currency,
                interval=terms.interval,
            )
    except IntegrityError:
        return StripePrice.objects.get(
            product=product,
            stripe_account_id=account.stripe_account_id,
            unit_amount=terms.unit_amount,
            currency=terms.currency,
            interval=terms.interval,
        )
