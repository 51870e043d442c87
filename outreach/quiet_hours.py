"""Quiet hours: a campaign texts a lead only between CRM_SMS_SENDING_FROM_HOUR and
CRM_SMS_SENDING_UNTIL_HOUR (08:00-21:00) on the clock of the zone its message keeps (chosen
when the audience was frozen). Pure functions of a zone name and a moment, so the sender's
claim, the sweep's restart time and the campaign page's "N texts wait" all agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

UTC = ZoneInfo("UTC")


def zone(name: str) -> ZoneInfo:
    """The zone of this name; UTC for a name this machine does not know (never raises)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_open(name: str, now: datetime) -> bool:
    """Texts may go now in this zone."""
    hour = now.astimezone(zone(name)).hour
    return settings.CRM_SMS_SENDING_FROM_HOUR <= hour < settings.CRM_SMS_SENDING_UNTIL_HOUR


def open_zones(names: Iterable[str], now: datetime) -> list[str]:
    return sorted(name for name in set(names) if is_open(name, now))


def next_opening(name: str, now: datetime) -> datetime:
    """When texts may go next in this zone: `now` when they may go now, else the next
    FROM_HOUR:00 on its clock (DST-aware: the wall clock, not a fixed offset)."""
    if is_open(name, now):
        return now
    local = now.astimezone(zone(name))
    opening = local.replace(
        hour=settings.CRM_SMS_SENDING_FROM_HOUR, minute=0, second=0, microsecond=0
    )
    if opening <= local:
        opening = (local + timedelta(days=1)).replace(
            hour=settings.CRM_SMS_SENDING_FROM_HOUR, minute=0, second=0, microsecond=0
        )
    return opening.astimezone(UTC)
