"""outreach.sms_segments: GSM-7 and UCS-2 segment counts at every boundary carriers use."""

from __future__ import annotations

import pytest

from outreach.sms_segments import SmsEncoding, count_segments, room_left


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_plain_text_is_gsm7_160_alone_then_153_per_segment(length: int, segments: int) -> None:
    count = count_segments("a" * length)

    assert (count.encoding, count.characters, count.units) == (SmsEncoding.GSM7, length, length)
    assert count.segments == segments
    assert count.per_segment == (160 if segments == 1 else 153)


@pytest.mark.parametrize(
    ("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_one_character_outside_gsm7_makes_it_ucs2_70_then_67(length: int, segments: int) -> None:
    text = "ж" + "a" * (length - 1)  # Cyrillic: not in either GSM-7 table

    count = count_segments(text)

    assert (count.encoding, count.units, count.segments) == (SmsEncoding.UCS2, length, segments)
    assert count.per_segment == (70 if segments == 1 else 67)


def test_an_emoji_turns_160_into_70_and_counts_two_units() -> None:
    gsm = count_segments("a" * 160)
    with_emoji = count_segments("a" * 159 + "🎉")

    assert (gsm.encoding, gsm.segments) == (SmsEncoding.GSM7, 1)
    assert with_emoji.encoding == SmsEncoding.UCS2
    assert (with_emoji.characters, with_emoji.units) == (160, 161)
    assert with_emoji.segments == 3  # 161 units at 67 per segment
    assert count_segments("🎉" * 35).segments == 1  # exactly 70 units
    assert count_segments("🎉" * 35 + "a").segments == 2


def test_an_emoji_is_never_split_between_two_segments() -> None:
    # 66 units, then an emoji (2 units) does not fit the 67 left: it starts segment two.
    count = count_segments("ж" * 66 + "🎉" + "ж" * 66)

    assert (count.units, count.segments) == (134, 3)  # 134 units would fit 2 if split


@pytest.mark.parametrize("char", [*"^{}[]~|\\€", "\f"])
def test_each_extension_character_counts_two_septets(char: str) -> None:
    count = count_segments(char)

    assert (count.encoding, count.characters, count.units, count.segments) == (
        SmsEncoding.GSM7,
        1,
        2,
        1,
    )


def test_extension_characters_move_the_160_boundary() -> None:
    assert count_segments("€" * 80).segments == 1  # 160 septets
    assert count_segments("€" * 80 + "a").segments == 2
    assert count_segments("a" * 159 + "€").segments == 2  # 161 septets
    # Split at 153: an escape pair that would straddle the boundary starts the next segment.
    straddling = count_segments("a" * 152 + "€" + "a" * 152)
    assert (straddling.units, straddling.segments) == (306, 3)


def test_the_whole_basic_table_and_the_euro_stay_gsm7() -> None:
    text = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r 09AZaz€^{}[]~|\\"

    count = count_segments(text)

    assert count.encoding == SmsEncoding.GSM7
    assert count.units == len(text) + 9  # the nine extension characters take two each


@pytest.mark.parametrize("char", ["á", "ç", "`", "\u2019", "\u201c", "\t", "ж", "中"])
def test_characters_people_expect_in_gsm7_but_are_not_make_ucs2(char: str) -> None:
    assert count_segments(f"Hello {char}").encoding == SmsEncoding.UCS2


def test_an_empty_text_is_no_segment() -> None:
    count = count_segments("")

    assert (count.encoding, count.characters, count.units, count.segments) == (
        SmsEncoding.GSM7,
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("", 160),
        ("a" * 160, 0),
        ("a" * 161, 153 - 8),  # 153 in the first part, 8 in the second
        ("a" * 152 + "€" + "a" * 10, 153 - 12),  # the € does not fit the first part's last septet
        ("🎉" * 35, 0),
        ("a" * 66 + "🎉" + "b" * 5, 67 - 7),  # the emoji starts the second part whole
    ],
)
def test_room_left_is_what_the_last_segment_still_holds(text: str, left: int) -> None:
    assert room_left(text) == left
