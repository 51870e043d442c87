"""Twilio's status callbacks applied to a workspace's texts: the message's fate, the
campaign's counters, the lead's timeline and, for a number that can never take a text, the
lead's SMS state, in one transaction per callback.

The callback names our message in its query (sms.callback_urls), and Twilio's MessageSid
must be the one the engine stored when it has one. The same status for the same SID twice
(Twilio retries what got no answer) is applied once: sms.TwilioEvent `{sid}:{status}` is
written in the same transaction as the effects.

A status never goes backwards and the first final one wins: a late "sent" after
"delivered" changes nothing, and neither does "delivered" after "failed" (each is counted
once). A callback about a message still `queued` or `sending` is the engine's lost answer:
Twilio took it, so it is settled as sent with Twilio's SID (and counted sent) here, through
the message row, which the engine only settles while it is still `sending`.
"""

from __future__ import annotations

from enum import StrEnum

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import Lead, Message
from crm.services.events import record_event
from crm.services.sms_consent import mark_phone_undeliverable
from outreach.events import LeadSmsEvent
from outreach.models import Campaign
from sms.error_codes import describe_twilio_error
from sms.gateway import UNDELIVERABLE_CODES
from sms.services.twilio_events import record_twilio_event

log = structlog.get_logger(__name__)

FAILURES = frozenset({"undelivered", "failed"})
MAX_ERROR_CODE = 2_147_483_647  # what crm.Message.error_code holds
UNSETTLED = (Message.Status.QUEUED, Message.Status.SENDING)


class StatusResult(StrEnum):
    APPLIED = "applied"
    NOTED = "noted"  # recorded, nothing to change (a status on the way, or a late one)
    DUPLICATE = "duplicate"
    UNKNOWN_MESSAGE = "unknown_message"


@transaction.atomic
def apply_twilio_status(
    *, message_id: int | None, message_sid: str, status: str, error_code: int = 0
) -> StatusResult:
    """Apply one status callback about our text `message_id`. UNKNOWN_MESSAGE (nothing
    changed) when this workspace has no such outbound text or it carries another SID:
    the caller acknowledges it anyway, so that Twilio stops retrying."""
    message = (
        Message.objects.select_for_update()
        .filter(pk=message_id, channel=Message.Channel.SMS, direction=Message.Direction.OUTBOUND)
        .first()
        if message_id is not None and message_sid
        else None
    )
    if message is None or (message.provider_id and message.provider_id != message_sid):
        log.warning(
            "twilio_status_unknown_message",
            message_id=message_id,
            provider_id=message_sid,
            status=status,
        )
        return StatusResult.UNKNOWN_MESSAGE
    if not record_twilio_event(key=f"{message_sid}:{status}", kind="status", message_id=message.pk):
        log.info("twilio_status_duplicate", message_id=message.pk, status=status)
        return StatusResult.DUPLICATE
    if not 0 <= error_code <= MAX_ERROR_CODE:
        error_code = 0  # not one of Twilio's (five digits): no code rather than a wrong one
    result = _apply(message, message_sid, status, error_code)
    log.info("twilio_status_applied", message_id=message.pk, status=status, result=str(result))
    return result


def _apply(message: Message, sid: str, status: str, error_code: int) -> StatusResult:
    if status not in ("sent", "delivered") and status not in FAILURES:
        return StatusResult.NOTED  # on its way (queued, sending...) or a status we do not use
    changed = False
    if message.status in UNSETTLED:
        _settle_sent(message, sid)
        changed = True
    # Only a sent text moves on: delivered and failed are final, and a cancelled or
    # suppressed message is not revived by a callback.
    if message.status == Message.Status.SENT and status == "delivered":
        _delivered(message)
        changed = True
    elif message.status == Message.Status.SENT and status in FAILURES:
        _failed(message, error_code)
        changed = True
    return StatusResult.APPLIED if changed else StatusResult.NOTED


def _count(message: Message, **counters: int) -> None:
    if message.campaign_id:
        Campaign.objects.filter(pk=message.campaign_id).update(
            **{name: F(name) + amount for name, amount in counters.items()}
        )


def _settle_sent(message: Message, sid: str) -> None:
    """Twilio has the text the engine never heard back about: it went, once."""
    now = timezone.now()
    message.status = Message.Status.SENT
    message.provider_id = sid
    message.sent_at = now
    message.save(update_fields=["status", "provider_id", "sent_at"])
    _count(message, sent_count=1)
    if message.campaign_id is None:  # as the engine marks a one-off text it sent
        Lead.objects.filter(pk=message.lead_id).update(last_contacted_at=now)
    log.info("twilio_status_settled_lost_answer", message_id=message.pk, provider_id=sid)


def _delivered(message: Message) -> None:
    message.status = Message.Status.DELIVERED
    message.delivered_at = timezone.now()
    message.save(update_fields=["status", "delivered_at"])
    _count(message, delivered_count=1)


def _failed(message: Message, error_code: int) -> None:
    """Not delivered. It still counts as sent (Twilio accepted it); a code that says the
    number can never take a text keeps every lead with it out of later audiences."""
    message.status = Message.Status.FAILED
    message.error_code = error_code
    message.error = describe_twilio_error(error_code)
    message.save(update_fields=["status", "error_code", "error"])
    _count(message, failed_count=1)
    record_event(
        actor=None,
        verb=LeadSmsEvent.FAILED,
        obj=message.lead,
        changes={
            "message_id": message.pk,
            "campaign_id": message.campaign_id,
            "reason": message.error,
        },
    )
    if error_code in UNDELIVERABLE_CODES:
        phone = message.to_phone or message.lead.phone
        if phone:
            mark_phone_undeliverable(phone=phone, error_code=str(error_code))
