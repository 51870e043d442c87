"""Small filters of the leads table."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def thousands(number: int | None) -> str:
    """1234567 as 1,234,567."""
    return f"{number or 0:,}"
