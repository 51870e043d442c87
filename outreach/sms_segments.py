"""How many segments (billed parts) a text takes, as the carriers count them.

A text that fits the GSM-7 alphabet (3GPP TS 23.038: the basic table, plus the extension
table whose characters take an escape and so count 2) goes as 7-bit septets: 160 in a single
segment, 153 per segment once it is split (the user data header takes 7). Any other
character sends the whole text as UCS-2: 70 UTF-16 units alone, 67 per segment when split,
and a character outside the Basic Multilingual Plane (most emoji) is two units. A character
is never split between segments: one that does not fit the room left starts the next.

Pure functions, no Django: the composer's live count and the audience total both use it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # each sent as ESC + a character: 2 septets

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentCount:
    encoding: SmsEncoding
    characters: int  # as a person counts them (code points)
    units: int  # what the segments hold: septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # 0 for an empty text
    per_segment: int  # the room in each segment at this length (160/153, 70/67)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def _unit_widths(text: str, encoding: SmsEncoding) -> list[int]:
    if encoding == SmsEncoding.GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _parts(widths: list[int], room: int) -> int:
    """Segments of `room` units each, no character split across two."""
    segments, used = 1, 0
    for width in widths:
        if used + width > room:
            segments, used = segments + 1, 0
        used += width
    return segments


def count_segments(text: str) -> SegmentCount:
    """The encoding, characters, units and segments of a text as it would be sent."""
    encoding = SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding == SmsEncoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    widths = _unit_widths(text, encoding)
    units = sum(widths)
    if units == 0:
        segments, room = 0, single
    elif units <= single:
        segments, room = 1, single
    else:
        segments, room = _parts(widths, part), part
    return SegmentCount(encoding, len(text), units, segments, room)


def room_left(text: str) -> int:
    """Units still free in the text's last segment (what the composer shows as "left"): a
    character that would not fit starts a new segment, so it is not just the remainder."""
    count = count_segments(text)
    if count.segments <= 1:
        return count.per_segment - count.units
    used = 0
    for width in _unit_widths(text, count.encoding):
        if used + width > count.per_segment:
            used = 0
        used += width
    return count.per_segment - used
