"""Amounts as Stripe counts them: integers in the currency's smallest unit.

Most currencies have two decimals (cents); Stripe's zero-decimal currencies (JPY, KRW, ...)
are counted in whole units, and its three-decimal ones (KWD, BHD, ...) in thousandths that
must end in 0."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def decimals(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """12.50 USD -> 1250; 1200 JPY -> 1200; 1.234 KWD -> 1230 (Stripe's rule: last digit 0)."""
    places = decimals(currency)
    if places == 3:
        return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * 10
    return int((amount * 10**places).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor_units(amount: int, currency: str) -> Decimal:
    return Decimal(amount) / (10 ** decimals(currency))


def format_amount(amount: int, currency: str) -> str:
    """1250, "usd" -> "12.50 USD"; 1200, "JPY" -> "1,200 JPY"."""
    places = decimals(currency)
    return f"{from_minor_units(amount, currency):,.{places}f} {currency.upper()}"
