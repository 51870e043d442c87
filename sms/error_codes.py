"""Twilio's delivery error codes as a person reads them on a lead's conversation or a
campaign's recipients: "Twilio: the number is a landline (30006)", not a bare number."""

from __future__ import annotations

# The codes a status callback's ErrorCode carries most (twilio.com/docs/api/errors).
ERROR_WORDS: dict[int, str] = {
    21211: "the number is not a valid phone number",
    21214: "the number cannot be reached",
    21408: "texts to this country are not enabled on the account",
    21610: "the recipient replied STOP to this sender",
    21612: "this sender cannot reach the number",
    21614: "the number is not a mobile number",
    30001: "Twilio's queue for this sender overflowed",
    30002: "the Twilio account is suspended",
    30003: "the phone is switched off or out of reach",
    30004: "the recipient's carrier blocked the text",
    30005: "the number is unknown to its carrier",
    30006: "the number is a landline",
    30007: "the carrier filtered the text as spam",
    30008: "the carrier gave no reason",
    30034: "the sender is not registered for US A2P texting",
}


def describe_twilio_error(code: int) -> str:
    """One line for a failed text: the reason in words and Twilio's code to look up."""
    if not code:
        return "Twilio: the text was not delivered (no reason given)"
    words = ERROR_WORDS.get(code, "the text was not delivered")
    return f"Twilio: {words} ({code})"
