"""The revenue a campaign brought, for its results page and GET /campaigns/{id}/stats.

Payments belong to billing, which outreach never imports: billing installs the reader here
when the app starts (billing.payments.apps), and outreach asks it. Without billing installed
a campaign simply shows no revenue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict


class CampaignRevenue(TypedDict):
    """Net revenue (paid less refunded) in one currency: `amount` and `per_recipient` in
    the currency's smallest unit, `*_decimal` the same as decimal text."""

    currency: str
    amount: int
    amount_decimal: str
    amount_label: str
    payments: int
    per_recipient: int
    per_recipient_decimal: str
    per_recipient_label: str


# (campaign id, recipients sent) -> one entry per currency, largest first.
RevenueReader = Callable[[int, int], list[CampaignRevenue]]

_reader: RevenueReader | None = None


def install_revenue_reader(reader: RevenueReader) -> None:
    global _reader
    _reader = reader


def campaign_revenue(campaign_id: int, *, recipients: int) -> list[CampaignRevenue]:
    """The campaign's revenue per currency, or [] when nothing reads payments."""
    return _reader(campaign_id, recipients) if _reader is not None else []
