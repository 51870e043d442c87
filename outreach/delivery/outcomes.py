"""How claimed messages settle: one statement per batch that only touches messages still
held by that attempt (`sending`, and their delivery row carries its batch key), with the
campaign's counters, the suppression list and the sweep's heartbeat in the same transaction.

Every statement here locks a message before its delivery row, as the claim does, so two of
them never wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from crm.models import Lead, Message
from crm.services.sms_consent import apply_inbound_keyword, mark_phone_undeliverable
from mail.models import PendingSend
from outreach.delivery.outgoing import Outgoing
from outreach.delivery.transports import Outcome
from outreach.models import Campaign
from tenants.limits import record_sms_segments

__all__ = ["Outcome", "Written", "record_outcomes", "write_outcomes"]

log = structlog.get_logger(__name__)


# The messages of `ids` still held by the attempt `batch`, locked with their delivery rows.
# Both rows are locked, so a concurrent change to either (a release, a new claim) is seen
# before deciding; the statement that follows checks neither the status nor the key again.
HELD = """
    held AS (
        SELECT m.id, m.segments AS booked FROM crm_message AS m
        JOIN outreach_delivery AS d ON d.message_id = m.id
        WHERE m.id = ANY(%(ids)s) AND m.status = 'sending' AND d.batch_key = %(batch)s
        FOR UPDATE OF m, d
    )
"""
# A settled message is held no more: its lease ends (its batch key and attempts stay).
UNLEASE = """
    unleased AS (
        UPDATE outreach_delivery AS d SET lease_until = NULL
        FROM held WHERE d.message_id = held.id
    )
"""


def release(message_ids: Sequence[int], batch_key: uuid.UUID) -> None:
    """Put claimed messages that certainly did not go back in the queue."""
    _end_hold(message_ids, batch_key, status=Message.Status.QUEUED, error=None)


def suppress_held(message_ids: Sequence[int], batch_key: uuid.UUID, *, error: str) -> int:
    """Settle claimed messages that must not go as suppressed; returns how many changed.
    The SMS segments booked for them when they were queued go back to the month."""
    booked = _end_hold(message_ids, batch_key, status=Message.Status.SUPPRESSED, error=error)
    if sum(booked):
        record_sms_segments(count=-sum(booked))
    return len(booked)


def _end_hold(
    message_ids: Sequence[int], batch_key: uuid.UUID, *, status: str, error: str | None
) -> list[int]:
    """The segments booked for each message whose hold ended."""
    if not message_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {HELD}, {UNLEASE}
            UPDATE crm_message AS m SET status = %(status)s, error = coalesce(%(error)s, m.error)
            FROM held WHERE m.id = held.id
            RETURNING held.booked
            """,  # noqa: S608 - HELD and UNLEASE are fixed strings
            {"ids": list(message_ids), "batch": batch_key, "status": status, "error": error},
        )
        return [row[0] or 0 for row in cursor.fetchall()]


def hold_for_reconciling(message_ids: Sequence[int], batch_key: uuid.UUID) -> None:
    # Give the provider a lease's time to finish what it may still be doing with them.
    grace = timedelta(seconds=settings.CRM_SEND_LEASE_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {HELD}
            UPDATE outreach_delivery AS d SET lease_until = %(until)s
            FROM held WHERE d.message_id = held.id
            """,  # noqa: S608 - HELD is a fixed string
            {"ids": list(message_ids), "batch": batch_key, "until": timezone.now() + grace},
        )


@dataclass(frozen=True)
class Written:
    """A message an outcome changed: its status now, and for a text the segments booked
    against the month before (the estimate) and as the provider counted them."""

    message_id: int
    status: str
    lead_id: int
    booked: int
    segments: int
    to_phone: str
    effect: str = ""
    error_code: int = 0


def record_outcomes(
    outgoing: Outgoing, outcomes: Sequence[Outcome], batch_key: uuid.UUID
) -> dict[str, int]:
    """Write how each message settled, the counters, the suppressions and the month's SMS
    segments, in one transaction.

    Only messages still held by this attempt change, so a late answer never overwrites what
    a reconciliation already decided, and nothing is counted twice.
    """
    with transaction.atomic():
        written = write_outcomes(outcomes, batch_key)
        counts = account_for(outgoing, written)
        if outgoing.campaign is None and counts["sent"]:
            Lead.objects.filter(
                pk__in=[row.lead_id for row in written if row.status == "sent"]
            ).update(last_contacted_at=timezone.now())
        heartbeat(outgoing)
    log.info(f"{outgoing.channel}_batch_recorded", campaign_id=outgoing.pending_id, **counts)
    return counts


def account_for(outgoing: Outgoing, written: Sequence[Written]) -> dict[str, int]:
    """What settled messages change beyond themselves: the campaign's counters (and its
    segments), the email suppression list, a number Twilio cannot deliver to or that
    replied STOP, and the month's SMS segments put right from the estimate booked when the
    message was queued to what was sent (a text that never went gives its estimate back)."""
    counts = {"sent": 0, "failed": 0, "suppressed": 0}
    for row in written:
        counts[row.status] += 1
    if outgoing.channel == "email":
        inactive = [row.message_id for row in written if row.status == "suppressed"]
        if inactive:
            _suppress_inactive(inactive)
    for row in written:
        if row.effect == "undeliverable" and row.to_phone:
            mark_phone_undeliverable(phone=row.to_phone, error_code=str(row.error_code))
        elif row.effect == "opted_out" and row.to_phone:
            # Twilio refuses because the number replied STOP to this sender: the lead is
            # opted out here too, as if we had received the STOP.
            apply_inbound_keyword(phone=row.to_phone, body="STOP")
    used = sum(row.segments for row in written if row.status == "sent")
    correction = sum((row.segments if row.status == "sent" else 0) - row.booked for row in written)
    if correction:
        record_sms_segments(count=correction)
    bump_counters(outgoing, segments=used if outgoing.channel == "sms" else 0, **counts)
    return counts


def write_outcomes(outcomes: Sequence[Outcome], batch_key: uuid.UUID) -> list[Written]:
    """One UPDATE for the whole batch; returns each message it changed."""
    if not outcomes:
        return []
    effects = {outcome.message_id: outcome for outcome in outcomes}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {HELD}, {UNLEASE}
            UPDATE crm_message AS m
            SET status = u.status, provider_id = u.provider_id, error_code = u.code,
                error = u.error, subject = coalesce(u.subject, m.subject),
                segments = coalesce(u.segments, m.segments),
                occurred_at = clock_timestamp(),
                sent_at = CASE WHEN u.status = 'sent' THEN clock_timestamp() ELSE m.sent_at END
            FROM held, unnest(
                %(ids)s::bigint[], %(statuses)s::text[], %(provider_ids)s::text[],
                %(codes)s::int[], %(errors)s::text[], %(subjects)s::text[],
                %(segments)s::int[]
            ) AS u(id, status, provider_id, code, error, subject, segments)
            WHERE m.id = held.id AND u.id = held.id
            RETURNING m.id, m.status, m.lead_id, held.booked, m.segments, m.to_phone
            """,  # noqa: S608 - HELD and UNLEASE are fixed strings
            {
                "ids": [outcome.message_id for outcome in outcomes],
                "statuses": [outcome.status for outcome in outcomes],
                "provider_ids": [outcome.provider_id for outcome in outcomes],
                "codes": [outcome.error_code for outcome in outcomes],
                "errors": [outcome.error[:2000] for outcome in outcomes],
                "subjects": [
                    outcome.subject[:255] if outcome.subject is not None else None
                    for outcome in outcomes
                ],
                "segments": [outcome.segments for outcome in outcomes],
                "batch": batch_key,
            },
        )
        rows = cursor.fetchall()
    return [
        Written(
            message_id=row[0],
            status=row[1],
            lead_id=row[2],
            booked=row[3] or 0,
            segments=row[4] or 0,
            to_phone=row[5] or "",
            effect=effects[row[0]].effect,
            error_code=effects[row[0]].error_code,
        )
        for row in rows
    ]


def _suppress_inactive(message_ids: Sequence[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO outreach_suppression (email, reason, lead_id, message_id, created_at)
            SELECT m.to_email, 'inactive', m.lead_id, m.id, now()
            FROM crm_message AS m WHERE m.id = ANY(%s) AND m.to_email <> ''
            ON CONFLICT (lower(email)) DO NOTHING
            """,
            [list(message_ids)],
        )


def bump_counters(
    outgoing: Outgoing,
    *,
    sent: int = 0,
    failed: int = 0,
    suppressed: int = 0,
    segments: int = 0,
) -> None:
    if outgoing.campaign is None or not (sent or failed or suppressed or segments):
        return
    Campaign.objects.filter(pk=outgoing.campaign.pk).update(
        sent_count=F("sent_count") + sent,
        failed_count=F("failed_count") + failed,
        suppressed_count=F("suppressed_count") + suppressed,
        segments_used=F("segments_used") + segments,
        last_error="",
    )


def heartbeat(outgoing: Outgoing, *, until: float = 0.0) -> None:
    """A sign of life for the sweep: this send has a sender at work (or asleep on purpose)."""
    PendingSend.objects.filter(
        workspace_id=outgoing.workspace.pk, campaign_id=outgoing.pending_id
    ).update(heartbeat_at=timezone.now() + timedelta(seconds=until))
