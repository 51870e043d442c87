"""Phone numbers as the SMS channel needs them: parsed with `phonenumbers` (Google's
libphonenumber metadata), stored in E.164 (+14155552671), read in the workspace's default
region (settings.CRM_DEFAULT_PHONE_REGION) when written without a country code."""

from __future__ import annotations

import phonenumbers
from django.conf import settings

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"  # what every stored number looks like
PHONE_HINT = "Enter a phone number with its country code, like +44 20 7946 0000."


class UnusablePhoneNumber(ValueError):
    """The text is not a phone number any carrier would route (the message says why)."""


def normalise_phone(text: str, *, region: str | None = None) -> str:
    """The number in E.164, or "" for empty text; raises UnusablePhoneNumber when the text
    does not parse or is not a valid number in its country's numbering plan."""
    text = text.strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or settings.CRM_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise UnusablePhoneNumber(f"'{text}' is not a phone number. {PHONE_HINT}") from None
    if not phonenumbers.is_valid_number(number):
        raise UnusablePhoneNumber(
            f"'{text}' is not a valid number in its country's numbering plan. {PHONE_HINT}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
