"""Amounts on pages: `{{ payment.amount|money:payment.currency }}` -> "USD 1,240.00"."""

from __future__ import annotations

from django import template

from billing.payments.amounts import format_amount

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    if minor is None:
        return ""
    return format_amount(minor, currency)
