"""The dashboard's revenue section: this month against last month, the last 12 months, and
for the dashboard's period the revenue by product and by lead source and the average order
value. Every figure is per currency and net of refunds (billing's revenue selectors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing.payments.selectors.revenue import (
    CurrencyRevenue,
    Money,
    RevenueGroup,
    has_payments,
    monthly_revenue,
    period_revenue,
    revenue_in_period,
)

MONTHS_CHARTED = 12


@dataclass(frozen=True)
class MonthOnMonth:
    """One currency's revenue this month so far, last month's by the same day and hour (what
    the change compares with: a month half gone is not held against a whole one), and the
    whole of last month."""

    current: Money
    previous_to_date: Money
    previous: Money

    @property
    def currency(self) -> str:
        return self.current.currency

    @property
    def change(self) -> float | None:
        """Percent change on last month at the same point; None when it had nothing yet."""
        before = self.previous_to_date.minor
        if not before:
            return None
        return round(100 * (self.current.minor - before) / before, 1)


@dataclass(frozen=True)
class RevenueFigures:
    this_month: list[MonthOnMonth]
    in_period: list[CurrencyRevenue]  # each with its average order value
    by_product: list[RevenueGroup]
    by_source: list[RevenueGroup]
    chart: dict[str, Any]


def revenue_figures(*, since: datetime, until: datetime, now: datetime) -> RevenueFigures | None:
    """The section's numbers, or None while the workspace has taken no payment at all."""
    if not has_payments():
        return None
    months = monthly_revenue(now=now, months=MONTHS_CHARTED)
    this_month = {money.currency: money for money in months.month(-1)}
    last_month = {money.currency: money for money in months.month(-2)}
    this_start, last_start = months.months[-1], months.months[-2]
    same_point = min(last_start + (now - this_start), this_start)
    last_to_date = {
        row.currency: row.money for row in revenue_in_period(since=last_start, until=same_point)
    }
    compared = [
        MonthOnMonth(
            this_month.get(currency, Money(currency, 0)),
            last_to_date.get(currency, Money(currency, 0)),
            last_month.get(currency, Money(currency, 0)),
        )
        for currency in months.series
        if currency in this_month or currency in last_month
    ]
    period = period_revenue(since=since, until=until)
    return RevenueFigures(
        this_month=compared,
        in_period=period.totals,
        by_product=period.by_product,
        by_source=period.by_source,
        chart=months.chart(),
    )
