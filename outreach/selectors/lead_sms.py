"""A lead's SMS conversation as its page shows it: the texts both ways, oldest first, and
the lead's SMS consent in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.models import Lead, Message

THREAD_SHOWN = 50


@dataclass(frozen=True)
class Bubble:
    """One text of the conversation."""

    message: Message
    inbound: bool
    at: datetime
    status: str  # as a person reads it: "Delivered", "Not delivered: ..."
    failed: bool


@dataclass(frozen=True)
class SmsConsentState:
    state: str  # opted_in | opted_out | unknown
    label: str
    source: str  # how the lead agreed ("Web form"), for opted_in
    since: datetime | None
    undeliverable_since: datetime | None


OUTBOUND_STATUS: dict[str, str] = {
    Message.Status.QUEUED: "Queued",
    Message.Status.SENDING: "Sending",
    Message.Status.SENT: "Sent",
    Message.Status.DELIVERED: "Delivered",
    Message.Status.SUPPRESSED: "Not sent",
    Message.Status.CANCELLED: "Not sent: cancelled",
}


def _bubble(message: Message) -> Bubble:
    inbound = message.direction == Message.Direction.INBOUND
    failed = message.status == Message.Status.FAILED
    if inbound:
        status = "Received"
    elif failed:
        status = f"Not delivered: {message.error}" if message.error else "Not delivered"
    else:
        status = OUTBOUND_STATUS.get(message.status, message.get_status_display())
    at = message.occurred_at if inbound else (message.sent_at or message.occurred_at)
    return Bubble(message, inbound, at, status, failed)


def sms_conversation(lead: Lead, *, limit: int = THREAD_SHOWN) -> list[Bubble]:
    """The lead's last `limit` texts, both directions, oldest first."""
    newest = (
        Message.objects.filter(lead=lead, channel=Message.Channel.SMS)
        .select_related("author", "campaign")
        .order_by("-occurred_at", "-id")[:limit]
    )
    return [_bubble(message) for message in reversed(list(newest))]


def sms_consent_state(lead: Lead) -> SmsConsentState:
    undeliverable = lead.sms_undeliverable_at
    if lead.sms_consent == Lead.SmsConsent.OPTED_IN:
        source = lead.get_sms_consent_source_display() if lead.sms_consent_source else ""
        return SmsConsentState("opted_in", "Opted in", source, lead.sms_consent_at, undeliverable)
    if lead.sms_consent == Lead.SmsConsent.OPTED_OUT:
        return SmsConsentState("opted_out", "Opted out", "", lead.sms_opted_out_at, undeliverable)
    return SmsConsentState("unknown", "Not asked", "", None, undeliverable)
