from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from tests.support.twilio_double import TwilioDouble, twilio_double


@pytest.fixture
def twilio() -> Iterator[TwilioDouble]:
    """The Twilio double on the loopback address, the twilio client pointed at it, with a
    timeout short enough for its "slow" failure."""
    with (
        twilio_double() as double,
        override_settings(TWILIO_API_BASE=double.url, TWILIO_TIMEOUT_SECONDS=0.5),
    ):
        double.slow_seconds = 1.0
        yield double
