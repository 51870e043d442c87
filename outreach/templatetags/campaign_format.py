"""How the campaign pages write rates: one decimal and a percent sign, a dash for nothing."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(fraction: float | int | None) -> str:
    """0.1234 -> "12.3%"."""
    if fraction is None:
        return "—"
    return f"{100 * float(fraction):.1f}%"


@register.filter
def share_of(part: int | None, whole: int | None) -> str:
    """opened|share_of:sent -> "40.0%", or "—" while nothing was sent."""
    if not whole:
        return "—"
    return f"{100 * (part or 0) / whole:.1f}%"
