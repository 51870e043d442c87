"""Small filters of the leads table."""

from __future__ import annotations

from typing import Any

from django import template

from crm.selectors.lead_table import CUSTOM_PREFIX

register = template.Library()


@register.filter
def thousands(number: int | None) -> str:
    """1234567 as 1,234,567."""
    return f"{number or 0:,}"


@register.filter
def custom_value(custom_fields: dict[str, Any] | None, column_key: str) -> str:
    """The lead's value of the custom field a column shows, as a person reads it."""
    value = (custom_fields or {}).get(column_key.removeprefix(CUSTOM_PREFIX))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)
