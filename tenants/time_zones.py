"""The IANA time zones a workspace may choose, from the system's zone database."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TIME_ZONE = "UTC"
# Zones kept only for backward compatibility ("US/Pacific", "Etc/GMT+3", "EST5EDT"): the
# list offers the canonical Area/City names, which say where a person is.
_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every offered zone name, UTC first, then alphabetical."""
    names = sorted(name for name in available_timezones() if name.startswith(_AREAS))
    return (DEFAULT_TIME_ZONE, *names)


def is_time_zone(name: str) -> bool:
    if name not in time_zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_info(name: str) -> ZoneInfo:
    """The zone of a stored name; a name the system no longer knows falls back to UTC."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)
