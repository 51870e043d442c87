"""Delivering outbound email: claim a batch, render it, send it, record every outcome.

A message goes queued -> sending -> sent | failed | suppressed, once. The claim (status
`sending` on the message; a batch key, a lease and one more attempt on its delivery row,
in the same statement) is committed before Postmark is called, so a crash leaves a trace.
A message still `sending` after its lease has run out is reconciled against Postmark's
message search by its batch key before anything is sent again: marked sent if it got
there, queued again if it did not. That is how a worker killed mid-batch never makes a
lead get the same email twice, and never loses one.

The same path serves campaigns (broadcast stream, rendered per lead from the campaign's
templates, with an unsubscribe footer and headers) and one-off emails to a lead
(transactional stream, rendered when they were written).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Message
from mail.gateway import (
    Email,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from mail.models import PendingSend
from outreach.delivery.outcomes import (
    Outcome,
    bump_counters,
    heartbeat,
    hold_for_reconciling,
    outcome_of,
    record_outcomes,
    release,
    suppress_held,
)
from outreach.delivery.outgoing import Claimed, Outgoing, load_outgoing
from outreach.delivery.reconciliation import reconcile_expired
from outreach.delivery.send_rate import reserve
from outreach.lifecycle import Transition, can, drop_pending, move
from outreach.models import Campaign
from tenants.models import Workspace

log = structlog.get_logger(__name__)

IN_FLIGHT = (Message.Status.QUEUED, Message.Status.SENDING)


@dataclass
class DeliveryRun:
    """What one sender job did, for its log line and for tests."""

    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    reconciled: int = 0
    retries: list[float] = field(default_factory=list)
    outcome: str = ""

    def add(self, counts: dict[str, int]) -> None:
        self.sent += counts["sent"]
        self.failed += counts["failed"]
        self.suppressed += counts["suppressed"]


def batch_size(workspace: Workspace) -> int:
    return max(1, min(settings.CRM_SEND_BATCH_SIZE, int(send_rate(workspace))))


def send_rate(workspace: Workspace) -> float:
    return float(workspace.email_send_rate or settings.CRM_EMAIL_SEND_RATE)


def backoff_seconds(failures: int, retry_after: float | None) -> float:
    """How long to wait after the n-th failed call in a row; Postmark's Retry-After wins."""
    if retry_after is not None:
        return min(retry_after, settings.CRM_SEND_BACKOFF_MAX_SECONDS)
    delay = settings.CRM_SEND_BACKOFF_BASE_SECONDS * 2 ** (failures - 1)
    return float(min(delay, settings.CRM_SEND_BACKOFF_MAX_SECONDS))


def deliver(
    *,
    campaign_id: int | None,
    channel: str = "email",
    seconds: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryRun:
    """Deliver a campaign's (or the one-off messages of `channel`) queued messages until none
    are left, the
    campaign is paused or cancelled, Postmark refuses the calls for good, or `seconds` pass.

    Safe to run several at once for the same campaign: each message is claimed by one.
    `outcome` says why it stopped: done, paused, cancelled, gone, refused, suspended or
    handover.
    """
    run = DeliveryRun()
    deadline = time.monotonic() + (
        seconds if seconds is not None else settings.CRM_SEND_JOB_SECONDS
    )
    failures = 0
    while True:
        outgoing = load_outgoing(campaign_id, channel)
        if outgoing is None:
            run.outcome = "gone"
            return run
        run.reconciled += reconcile_expired(outgoing)
        if workspace_suspended(outgoing.workspace):
            # The platform stopped this workspace: its queue waits; the sweep skips it until
            # it is reactivated, then picks the send up again.
            run.outcome = "suspended"
            return run
        if workspace_read_only(outgoing.workspace):
            # The subscription ended: a campaign pauses before its next batch, saying why
            # (its owner resumes it after subscribing again); one-off emails wait.
            stop_read_only(outgoing)
            run.outcome = "read_only"
            return run
        if not outgoing.may_claim:
            settle_stopped(outgoing)
            run.outcome = str(outgoing.campaign.status) if outgoing.campaign else "done"
            return run
        if time.monotonic() >= deadline:
            run.outcome = "handover"
            return run
        size = batch_size(outgoing.workspace)
        wait = reserve(
            workspace_key=outgoing.workspace.schema_name,
            count=size,
            rate=send_rate(outgoing.workspace),
        )
        if wait > 0:
            sleep(wait)
        claimed, batch_key = claim_batch(outgoing, size=size)
        if not claimed:
            earliest = (
                outgoing.scope()
                .filter(status=Message.Status.SENDING)
                .order_by("delivery__lease_until")
                .values_list("delivery__lease_until", flat=True)
                .first()
            )
            if earliest is None:
                finish(outgoing)
                run.outcome = "done"
                return run
            # Another sender's batch is in flight, or one awaits reconciling: look again soon.
            sleep(min(1.0, max(0.05, (earliest - timezone.now()).total_seconds())))
            continue
        try:
            send_claimed(outgoing, claimed, batch_key, run)
        except TransientSendError as error:
            failures += 1
            delay = backoff_seconds(failures, error.retry_after)
            run.retries.append(delay)
            note_retry(outgoing, error, delay)
            sleep(delay)
            continue
        except PermanentSendError as error:
            stop_refused(outgoing, error)
            run.outcome = "refused"
            return run
        failures = 0


def workspace_suspended(workspace: Workspace) -> bool:
    return Workspace.objects.filter(pk=workspace.pk, status=Workspace.Status.SUSPENDED).exists()


def workspace_read_only(workspace: Workspace) -> bool:
    return Workspace.objects.filter(pk=workspace.pk, read_only_from__lte=timezone.now()).exists()


def stop_read_only(outgoing: Outgoing) -> None:
    if outgoing.campaign is None:
        return  # one-off emails wait in the queue; the sweep skips the workspace meanwhile
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=outgoing.campaign.pk)
        if not can(campaign, Transition.HALT):
            return
        move(
            campaign,
            Transition.HALT,
            actor=None,
            fields={
                "last_error": "Paused: this workspace is read-only because its subscription "
                "ended. The owner can subscribe again in Settings → Billing, then resume it."
            },
            changes={"reason": "workspace_read_only"},
        )


def claim_batch(outgoing: Outgoing, *, size: int) -> tuple[list[Claimed], uuid.UUID]:
    """Take up to `size` queued messages for one attempt, committed before any is sent.

    Messages whose lead has since lost its address, unsubscribed or been suppressed are
    settled as `suppressed` here instead: they are never sent.
    """
    batch_key = uuid.uuid4()
    scope, params = outgoing.scope_sql
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH picked AS (
                SELECT id FROM crm_message
                WHERE {scope} AND status = 'queued'
                ORDER BY id LIMIT %s
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE crm_message AS m
                SET status = 'sending', to_email = coalesce(l.email, '')
                FROM picked, crm_lead AS l
                WHERE m.id = picked.id AND l.id = m.lead_id
                RETURNING m.id, l.id AS lead_id, coalesce(l.email, '') AS email, m.subject,
                    m.body, l.first_name, l.last_name, l.phone, l.company, l.source,
                    l.status, l.tags, l.custom_fields,
                    (SELECT s.name FROM crm_pipelinestage AS s WHERE s.id = l.stage_id) AS stage,
                    l.email IS NULL OR l.unsubscribed_at IS NOT NULL OR EXISTS (
                        SELECT 1 FROM outreach_suppression AS x
                        WHERE lower(x.email) = lower(l.email)
                    ) AS blocked
            ), held AS (
                INSERT INTO outreach_delivery
                    (message_id, batch_key, lease_until, attempts, attempted_at)
                SELECT id, %s, clock_timestamp() + %s * interval '1 second', 1,
                    clock_timestamp()
                FROM claimed
                ON CONFLICT (message_id) DO UPDATE
                SET attempts = outreach_delivery.attempts + 1, batch_key = EXCLUDED.batch_key,
                    lease_until = EXCLUDED.lease_until, attempted_at = EXCLUDED.attempted_at
            )
            -- `held` runs to completion unread, as every data-modifying WITH does: a join
            -- to it would add nothing but a nested loop over both (the planner cannot size
            -- them).
            SELECT * FROM claimed
            """,  # noqa: S608 - the scope is one of two fixed strings
            [*params, size, batch_key, settings.CRM_SEND_LEASE_SECONDS],
        )
        rows = cursor.fetchall()
        blocked = [row[0] for row in rows if row[14]]
        if blocked:
            settle_blocked(outgoing, blocked, batch_key)
    claimed = [
        Claimed(
            message_id=row[0],
            lead_id=row[1],
            email=row[2],
            subject=row[3],
            body=row[4],
            lead={
                "first_name": row[5],
                "last_name": row[6],
                "email": row[2],
                "phone": row[7],
                "company": row[8],
                "source": row[9],
                "status": row[10],
                "tags": row[11],
                "custom_fields": row[12] if isinstance(row[12], dict) else {},
                "stage": row[13] or "",
            },
        )
        for row in sorted(rows, key=lambda row: row[0])
        if not row[14]
    ]
    return claimed, batch_key


def settle_blocked(outgoing: Outgoing, message_ids: list[int], batch_key: uuid.UUID) -> None:
    count = suppress_held(
        message_ids,
        batch_key,
        error="Not sent: the lead unsubscribed, was suppressed or has no email any more.",
    )
    bump_counters(outgoing, suppressed=count)


def send_claimed(
    outgoing: Outgoing, claimed: Sequence[Claimed], batch_key: uuid.UUID, run: DeliveryRun
) -> None:
    """Render and send the claimed messages in as many provider calls as the channel's
    transport needs, recording each call's outcomes as soon as it answers."""
    ready: list[tuple[Claimed, Email]] = []
    broken: list[Outcome] = []
    for item in claimed:
        try:
            link = outgoing.unsubscribe_link(item)
            rendered = outgoing.render(item, link)
            ready.append((item, outgoing.email(item, rendered, batch_key, link)))
        except Exception as error:  # a template that fails on this lead's data
            broken.append(Outcome(item.message_id, "failed", error=f"The template failed: {error}"))
    if broken:
        run.add(record_outcomes(outgoing, broken, batch_key))
    chunks: list[list[tuple[Claimed, Email]]] = []
    start = 0
    for batch in outgoing.transport.split([email for _, email in ready]):
        chunks.append(ready[start : start + len(batch)])
        start += len(batch)
    for position, chunk in enumerate(chunks):
        try:
            answers = outgoing.transport.send([email for _, email in chunk])
        except SendError as error:
            later = [item.message_id for rest in chunks[position + 1 :] for item, _ in rest]
            this_chunk = [item.message_id for item, _ in chunk]
            release(later, batch_key)
            if isinstance(error, TransientSendError) and not error.accepted_nothing:
                # They may have arrived: leave them claimed and look them up once Postmark has
                # had time to finish what it was doing (reconcile_expired); never resend blindly.
                hold_for_reconciling(this_chunk, batch_key)
            else:
                release(this_chunk, batch_key)
            raise
        outcomes = [
            outcome_of(item.message_id, email, answer)
            for (item, email), answer in zip(chunk, answers, strict=True)
        ]
        run.add(record_outcomes(outgoing, outcomes, batch_key))


def note_retry(outgoing: Outgoing, error: TransientSendError, delay: float) -> None:
    log.warning(
        "email_batch_retry",
        campaign_id=outgoing.pending_id,
        delay=delay,
        retry_after=error.retry_after,
        error=str(error),
    )
    with transaction.atomic():
        if outgoing.campaign is not None:
            Campaign.objects.filter(pk=outgoing.campaign.pk).update(
                last_error=f"{error} Trying again in {delay:g} s."[:2000]
            )
        heartbeat(outgoing, until=delay)


def stop_refused(outgoing: Outgoing, error: PermanentSendError) -> None:
    """Postmark refuses every call (a bad token, a suspended server): pause, say why."""
    log.error("email_batch_refused", campaign_id=outgoing.pending_id, error=str(error))
    if outgoing.campaign is None:
        return  # one-off emails wait in the queue; the next sweep tries again
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=outgoing.campaign.pk)
        if not can(campaign, Transition.HALT):
            return
        last_error = (
            f"{error} Nothing more was sent. Check the Postmark server token and sender "
            "signature, then resume the campaign."
        )[:2000]
        move(
            campaign,
            Transition.HALT,
            actor=None,
            fields={"last_error": last_error},
            changes={"reason": str(error)[:500]},
        )


# --- Ending a send ------------------------------------------------------------------------


def finish(outgoing: Outgoing) -> None:
    """Nothing left to send: a sending campaign becomes sent; the pending entry goes."""
    with transaction.atomic():
        pending = PendingSend.objects.select_for_update().filter(
            workspace_id=outgoing.workspace.pk, campaign_id=outgoing.pending_id
        )
        list(pending)  # lock it: a new one-off email waits for this decision, then re-adds it
        if outgoing.scope().filter(status__in=IN_FLIGHT).exists():
            return
        if outgoing.campaign is not None:
            campaign = Campaign.objects.select_for_update().get(pk=outgoing.campaign.pk)
            if not can(campaign, Transition.FINISH):
                return
            move(
                campaign,
                Transition.FINISH,
                actor=None,
                changes={
                    "sent_count": campaign.sent_count,
                    "failed_count": campaign.failed_count,
                    "suppressed_count": campaign.suppressed_count,
                },
            )
            log.info("campaign_sent", campaign_id=campaign.pk, sent=campaign.sent_count)
        pending.delete()


def settle_stopped(outgoing: Outgoing) -> None:
    """A paused campaign keeps its queue; a cancelled one is done once nothing is in flight."""
    campaign = outgoing.campaign
    if campaign is None or campaign.status != Campaign.Status.CANCELLED:
        return
    with transaction.atomic():
        if outgoing.scope().filter(status=Message.Status.SENDING).exists():
            return
        drop_pending(campaign.pk)
