"""The plans the public site shows, in the order they are sold, ready to print."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from billing.models import Plan

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


@dataclass(frozen=True)
class PlanOffer:
    """A plan as the pricing table prints it: prices with their currency, limits in words."""

    name: str
    slug: str
    tagline: str
    is_free: bool
    monthly_price: str
    yearly_price: str
    yearly_saving: str
    limits: list[str]
    trial: str
    is_featured: bool = False


def money(amount: Decimal, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency)
    whole = amount == amount.to_integral_value()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def _limit(value: int | None, one: str, many: str, suffix: str = "") -> str:
    if value is None:
        return f"Unlimited {many}{suffix}"
    return f"{value:,} {one if value == 1 else many}{suffix}"


def _offer(plan: Plan) -> PlanOffer:
    saving = plan.monthly_price * 12 - plan.yearly_price
    return PlanOffer(
        name=plan.name,
        slug=plan.slug,
        tagline=plan.tagline,
        is_free=plan.is_free,
        monthly_price=money(plan.monthly_price, plan.currency),
        yearly_price=money(plan.yearly_price, plan.currency),
        yearly_saving=money(saving, plan.currency) if saving > 0 else "",
        limits=[
            _limit(plan.seat_limit, "team seat", "team seats"),
            _limit(plan.lead_limit, "lead", "leads"),
            _limit(plan.monthly_email_limit, "email", "emails", " a month"),
            _limit(plan.monthly_sms_segment_limit, "SMS segment", "SMS segments", " a month"),
        ],
        trial=f"{plan.trial_days}-day free trial" if plan.trial_days else "",
        is_featured=plan.slug == settings.CRM_TRIAL_PLAN,
    )


def plans_on_sale() -> list[PlanOffer]:
    """Every active plan, by `order` then price (read from the public schema)."""
    with schema_context(get_public_schema_name()):
        return [_offer(plan) for plan in _active()]


def _active() -> QuerySet[Plan]:
    return Plan.objects.filter(is_active=True).order_by("order", "monthly_price", "pk")
