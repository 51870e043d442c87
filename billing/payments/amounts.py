"""Stripe amounts as people read them: integers in a currency's smallest unit, turned into
decimals with the currency's own number of digits (2 for USD, 0 for JPY, 3 for KWD) and
written "USD 1,240.00". Nothing here adds amounts of two currencies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Stripe's zero- and three-decimal currencies (https://docs.stripe.com/currencies); every
# other currency has two digits after the point.
ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def currency_digits(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def to_decimal(minor: int | float | Decimal, currency: str) -> Decimal:
    """The amount in the currency's main unit, rounded half up to its digits
    (1234 USD cents -> Decimal("12.34"); 1234 JPY -> Decimal("1234"))."""
    digits = currency_digits(currency)
    quantum = Decimal(1).scaleb(-digits)
    return (Decimal(minor) / (10**digits)).quantize(quantum, rounding=ROUND_HALF_UP)


def decimal_text(minor: int | float | Decimal, currency: str) -> str:
    """The decimal as the API writes it: "1240.00", no grouping."""
    return str(to_decimal(minor, currency))


def format_amount(minor: int | float | Decimal, currency: str) -> str:
    """The amount as a page shows it: "USD 1,240.00"."""
    digits = currency_digits(currency)
    return f"{currency.upper()} {to_decimal(minor, currency):,.{digits}f}"
