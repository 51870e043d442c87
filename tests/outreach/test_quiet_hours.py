"""Quiet hours as pure functions of a zone and a moment (what the claim, the sweep's restart
time and the campaign page share), and the zone a frozen text keeps when its lead has none."""

from __future__ import annotations

from datetime import UTC, datetime

from outreach.delivery.start import zone_of_number
from outreach.quiet_hours import is_open, next_opening, open_zones


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_window_is_eight_included_to_nine_excluded_on_the_zones_clock() -> None:
    # London is on UTC in winter; San Francisco 8 hours behind.
    assert not is_open("Europe/London", at("2026-12-10 07:59:59"))
    assert is_open("Europe/London", at("2026-12-10 08:00:00"))
    assert is_open("Europe/London", at("2026-12-10 20:59:59"))
    assert not is_open("Europe/London", at("2026-12-10 21:00:00"))
    assert open_zones(
        ["America/Los_Angeles", "Asia/Tokyo", "Europe/London"], at("2026-12-10 07:00")
    ) == ["Asia/Tokyo"]


def test_the_next_opening_is_the_next_eight_oclock_there_across_a_clock_change() -> None:
    late = at("2026-12-10 07:00")  # 23:00 on the 9th in San Francisco
    assert next_opening("America/Los_Angeles", late) == at("2026-12-10 16:00")
    early = at("2026-12-10 12:00")  # 04:00 the same morning
    assert next_opening("America/Los_Angeles", early) == at("2026-12-10 16:00")
    # The night the clocks go forward (14 March 2027): 08:00 PDT is 15:00 UTC, not 16:00.
    assert next_opening("America/Los_Angeles", at("2027-03-14 07:00")) == at("2027-03-14 15:00")
    now = at("2026-12-10 18:00")  # 10:00 there: open now
    assert next_opening("America/Los_Angeles", now) == now


def test_a_numbers_zone_comes_from_its_region_then_the_workspace() -> None:
    assert zone_of_number("+14155552000", "UTC") == "America/Los_Angeles"
    # A number whose region spans several zones: the workspace's when it is one, else the
    # first (a UK mobile: Guernsey, the Isle of Man, Jersey, London, all on one clock).
    assert zone_of_number("+447911123456", "Europe/London") == "Europe/London"
    assert zone_of_number("+447911123456", "UTC") == "Europe/Guernsey"
    assert zone_of_number("+15005550006", "America/Chicago") == "America/Chicago"
    assert zone_of_number("+15005550006", "Europe/Paris") == "America/Adak"
    # No known zone (an unassigned range) or no number at all: the workspace's.
    assert zone_of_number("+447700900123", "Europe/Paris") == "Europe/Paris"
    assert zone_of_number("not a number", "Europe/Paris") == "Europe/Paris"
