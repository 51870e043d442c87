"""A product's price as Stripe takes it: an integer in the currency's smallest unit (cents;
whole yen for JPY; thousandths ending in 0 for KWD and Stripe's other three-decimal
currencies). Amounts back to text are billing.payments.amounts'."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from billing.payments.amounts import currency_digits


def to_minor_units(amount: Decimal, currency: str) -> int:
    """12.50 USD -> 1250; 1200 JPY -> 1200; 1.234 KWD -> 1230 (Stripe's rule: last digit 0)."""
    digits = currency_digits(currency)
    if digits == 3:
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * 10
    return int((amount * 10**digits).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
