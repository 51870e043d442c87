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
from mail.gateway import (
    Email,
    SendOutcome,
)
from mail.models import PendingSend
from outreach.delivery.outgoing import Outgoing
from outreach.models import Campaign

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """How one claimed message settles."""

    message_id: int
    status: str  # sent | failed | suppressed
    provider_id: str = ""
    error_code: int = 0
    error: str = ""
    subject: str | None = None  # the subject the lead saw, when rendered at send time


def outcome_of(message_id: int, email: Email, answer: SendOutcome) -> Outcome:
    if answer.accepted:
        return Outcome(message_id, "sent", answer.provider_id, subject=email.subject)
    if answer.suppress_recipient:
        status, error = "suppressed", f"Postmark: inactive recipient ({answer.reason})"
    else:
        status, error = "failed", f"Postmark refused it ({answer.error_code}): {answer.reason}"
    return Outcome(
        message_id, status, error_code=answer.error_code, error=error, subject=email.subject
    )


# The messages of `ids` still held by the attempt `batch`, locked with their delivery rows.
# Both rows are locked, so a concurrent change to either (a release, a new claim) is seen
# before deciding; the statement that follows checks neither the status nor the key again.
HELD = """
    held AS (
        SELECT m.id FROM crm_message AS m
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
    """Settle claimed messages that must not go as suppressed; returns how many changed."""
    return _end_hold(message_ids, batch_key, status=Message.Status.SUPPRESSED, error=error)


def _end_hold(
    message_ids: Sequence[int], batch_key: uuid.UUID, *, status: str, error: str | None
) -> int:
    if not message_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {HELD}, {UNLEASE}
            UPDATE crm_message AS m SET status = %(status)s, error = coalesce(%(error)s, m.error)
            FROM held WHERE m.id = held.id
            """,  # noqa: S608 - HELD and UNLEASE are fixed strings
            {"ids": list(message_ids), "batch": batch_key, "status": status, "error": error},
        )
        return cursor.rowcount


def hold_for_reconciling(message_ids: Sequence[int], batch_key: uuid.UUID) -> None:
    # Give Postmark a lease's time to finish what it may still be doing with them.
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


def record_outcomes(
    outgoing: Outgoing, outcomes: Sequence[Outcome], batch_key: uuid.UUID
) -> dict[str, int]:
    """Write how each message settled, the counters and the suppressions, in one transaction.

    Only messages still held by this attempt change, so a late answer never overwrites what
    a reconciliation already decided, and nothing is counted twice.
    """
    with transaction.atomic():
        written = write_outcomes(outcomes, batch_key)
        counts = {"sent": 0, "failed": 0, "suppressed": 0}
        for _, status, _ in written:
            counts[status] += 1
        inactive = [message_id for message_id, status, _ in written if status == "suppressed"]
        if inactive:
            _suppress_inactive(inactive)
        bump_counters(outgoing, **counts)
        if outgoing.campaign is None and counts["sent"]:
            Lead.objects.filter(
                pk__in=[lead_id for _, status, lead_id in written if status == "sent"]
            ).update(last_contacted_at=timezone.now())
        heartbeat(outgoing)
    log.info("email_batch_recorded", campaign_id=outgoing.pending_id, **counts)
    return counts


def write_outcomes(outcomes: Sequence[Outcome], batch_key: uuid.UUID) -> list[tuple[int, str, int]]:
    """One UPDATE for the whole batch; returns (message id, status, lead id) of each change."""
    if not outcomes:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {HELD}, {UNLEASE}
            UPDATE crm_message AS m
            SET status = u.status, provider_id = u.provider_id, error_code = u.code,
                error = u.error, subject = coalesce(u.subject, m.subject),
                occurred_at = clock_timestamp(),
                sent_at = CASE WHEN u.status = 'sent' THEN clock_timestamp() ELSE m.sent_at END
            FROM held, unnest(
                %(ids)s::bigint[], %(statuses)s::text[], %(provider_ids)s::text[],
                %(codes)s::int[], %(errors)s::text[], %(subjects)s::text[]
            ) AS u(id, status, provider_id, code, error, subject)
            WHERE m.id = held.id AND u.id = held.id
            RETURNING m.id, m.status, m.lead_id
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
                "batch": batch_key,
            },
        )
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]


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
    outgoing: Outgoing, *, sent: int = 0, failed: int = 0, suppressed: int = 0
) -> None:
    if outgoing.campaign is None or not (sent or failed or suppressed):
        return
    Campaign.objects.filter(pk=outgoing.campaign.pk).update(
        sent_count=F("sent_count") + sent,
        failed_count=F("failed_count") + failed,
        suppressed_count=F("suppressed_count") + suppressed,
        last_error="",
    )


def heartbeat(outgoing: Outgoing, *, until: float = 0.0) -> None:
    """A sign of life for the sweep: this send has a sender at work (or asleep on purpose)."""
    PendingSend.objects.filter(
        workspace_id=outgoing.workspace.pk, campaign_id=outgoing.pending_id
    ).update(heartbeat_at=timezone.now() + timedelta(seconds=until))
