"""Postmark's delivery webhooks applied to a workspace: the message's fate, the lead's
timeline, the campaign's counters and the suppression list, in one transaction per call.

The same payload twice (Postmark retries until it gets a 200) is applied once: each call's
SHA-256 is stored in the same transaction as its effects.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from crm.models import EventLog, Message
from outreach.errors import UnknownMessage
from outreach.events import LeadEmailEvent
from outreach.models import Campaign, Suppression
from outreach.selectors.audience import leads_with
from outreach.services.subscriptions import (
    lift_provider_suppression,
    suppress_address,
    unsubscribe_lead,
)
from project.errors import InvalidInput, field_error
from project.inputs import storable_datetime

log = structlog.get_logger(__name__)
STATUS_RANK: dict[str, int] = {"sent": 1, "delivered": 2, "opened": 3, "clicked": 4}
HARD_BOUNCE_TYPES = {"HardBounce", "BadEmailAddress", "ManuallyDeactivated"}
SUPPRESSION_REASONS = {
    "HardBounce": Suppression.Reason.HARD_BOUNCE,
    "SpamComplaint": Suppression.Reason.SPAM_COMPLAINT,
    "ManualSuppression": Suppression.Reason.UNSUBSCRIBED,
}


def payload_hash(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def apply_postmark_event(payload: dict[str, Any]) -> str:
    """Apply one webhook call; returns "applied" or "duplicate".

    Raises InvalidInput for a record type we do not take and UnknownMessage (404) for a
    MessageID this workspace never sent.
    """
    record_type = str(payload.get("RecordType") or "")
    handler = HANDLERS.get(record_type)
    if handler is None:
        raise InvalidInput(
            f"RecordType {record_type or '(missing)'} is not handled here.",
            details=[
                field_error(
                    "RecordType", "unsupported", f"Use one of: {', '.join(sorted(HANDLERS))}."
                )
            ],
        )
    provider_id = str(payload.get("MessageID") or "")
    message = (
        Message.objects.select_for_update().filter(provider_id=provider_id).first()
        if provider_id
        else None
    )
    if message is None and record_type != "SubscriptionChange":
        raise UnknownMessage()
    if not _first_time(payload, record_type, message):
        log.info("postmark_event_duplicate", record_type=record_type, provider_id=provider_id)
        return "duplicate"
    handler(payload, message)
    log.info("postmark_event_applied", record_type=record_type, provider_id=provider_id)
    return "applied"


def _first_time(payload: dict[str, Any], record_type: str, message: Message | None) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO outreach_postmarkevent (payload_hash, record_type, message_id, received_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (payload_hash) DO NOTHING
            RETURNING id
            """,
            [payload_hash(payload), record_type, message.pk if message else None],
        )
        return cursor.fetchone() is not None


def _at(payload: dict[str, Any], key: str) -> datetime:
    try:  # a moment PostgreSQL cannot hold is as good as none
        parsed = parse_datetime(str(payload.get(key) or ""))
        return storable_datetime(parsed) if parsed else timezone.now()
    except ValueError:
        return timezone.now()


def _upgrade(message: Message, status: str) -> None:
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.status, 99):
        message.status = status


def _count(message: Message, **counters: int) -> None:
    if message.campaign_id:
        Campaign.objects.filter(pk=message.campaign_id).update(
            **{name: F(name) + amount for name, amount in counters.items()}
        )


def _timeline(message: Message, verb: str, at: datetime, **changes: Any) -> None:
    EventLog.objects.create(
        actor=None,
        verb=verb,
        object_type="lead",
        object_id=message.lead_id,
        changes={"message_id": message.pk, "campaign_id": message.campaign_id, **changes},
        at=at,
    )


def on_delivery(payload: dict[str, Any], message: Message | None) -> None:
    assert message is not None
    if message.delivered_at is not None:
        return
    at = _at(payload, "DeliveredAt")
    message.delivered_at = at
    _upgrade(message, Message.Status.DELIVERED)
    message.save(update_fields=["delivered_at", "status"])
    _count(message, delivered_count=1)
    _timeline(message, LeadEmailEvent.DELIVERED, at)


def on_bounce(payload: dict[str, Any], message: Message | None) -> None:
    assert message is not None
    at = _at(payload, "BouncedAt")
    bounce_type = str(payload.get("Type") or "")
    hard = bounce_type in HARD_BOUNCE_TYPES or bool(payload.get("Inactive"))
    if message.bounced_at is None:
        message.bounced_at = at
        message.status = Message.Status.BOUNCED
        message.error = f"{payload.get('Name') or bounce_type}: {payload.get('Description') or ''}"[
            :2000
        ]
        message.save(update_fields=["bounced_at", "status", "error"])
        _count(message, bounced_count=1)
        _timeline(message, LeadEmailEvent.BOUNCED, at, type=bounce_type, hard=hard)
    if hard:
        suppress_address(
            email=str(payload.get("Email") or message.to_email),
            reason=Suppression.Reason.HARD_BOUNCE,
            lead_id=message.lead_id,
            message_id=message.pk,
        )


def on_spam_complaint(payload: dict[str, Any], message: Message | None) -> None:
    assert message is not None
    at = _at(payload, "BouncedAt")
    if message.complained_at is None:
        message.complained_at = at
        message.save(update_fields=["complained_at"])
        _count(message, complained_count=1)
        _timeline(message, LeadEmailEvent.COMPLAINED, at)
    suppress_address(
        email=str(payload.get("Email") or message.to_email),
        reason=Suppression.Reason.SPAM_COMPLAINT,
        lead_id=message.lead_id,
        message_id=message.pk,
    )


def on_open(payload: dict[str, Any], message: Message | None) -> None:
    assert message is not None
    at = _at(payload, "ReceivedAt")
    message.open_count += 1
    fields = ["open_count"]
    if message.opened_at is None:
        message.opened_at = at
        _upgrade(message, Message.Status.OPENED)
        fields += ["opened_at", "status"]
        _count(message, opened_count=1)
        _timeline(message, LeadEmailEvent.OPENED, at)
    message.save(update_fields=fields)


def on_click(payload: dict[str, Any], message: Message | None) -> None:
    assert message is not None
    at = _at(payload, "ReceivedAt")
    message.click_count += 1
    fields = ["click_count"]
    if message.opened_at is None:  # images were blocked, yet the reader clicked: it was opened
        message.opened_at = at
        fields.append("opened_at")
        _count(message, opened_count=1)
    if message.clicked_at is None:
        message.clicked_at = at
        _upgrade(message, Message.Status.CLICKED)
        fields += ["clicked_at", "status"]
        _count(message, clicked_count=1)
        _timeline(
            message, LeadEmailEvent.CLICKED, at, link=str(payload.get("OriginalLink") or "")[:500]
        )
    message.save(update_fields=fields)


def on_subscription_change(payload: dict[str, Any], message: Message | None) -> None:
    email = str(payload.get("Recipient") or (message and message.to_email) or "")
    if not email:
        raise InvalidInput(details=[field_error("Recipient", "required", "Name the recipient.")])
    if not payload.get("SuppressSending"):
        lift_provider_suppression(email=email, by_recipient=payload.get("Origin") == "Recipient")
        return
    reason = SUPPRESSION_REASONS.get(
        str(payload.get("SuppressionReason") or ""), Suppression.Reason.UNSUBSCRIBED
    )
    lead_id = message.lead_id if message else _lead_id_of(email)
    message_id = message.pk if message else None
    if reason == Suppression.Reason.UNSUBSCRIBED and lead_id is not None:
        unsubscribe_lead(lead_id=lead_id, message_id=message_id, via="postmark")
    else:
        suppress_address(email=email, reason=reason, lead_id=lead_id, message_id=message_id)


def _lead_id_of(email: str) -> int | None:
    return leads_with(email).values_list("pk", flat=True).first()


HANDLERS: dict[str, Callable[[dict[str, Any], Message | None], None]] = {
    "Delivery": on_delivery,
    "Bounce": on_bounce,
    "SpamComplaint": on_spam_complaint,
    "Open": on_open,
    "Click": on_click,
    "SubscriptionChange": on_subscription_change,
}
