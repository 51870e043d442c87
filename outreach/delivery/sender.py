"""Delivering outbound messages (email and SMS): claim a batch, render it, send it, record
every outcome.

A message goes queued -> sending -> sent | failed | suppressed, once. The claim (status
`sending` on the message; a batch key, a lease and one more attempt on its delivery row,
in the same statement) is committed before Postmark is called, so a crash leaves a trace.
A message still `sending` after its lease has run out is reconciled against Postmark's
message search by its batch key (a text: Twilio's message list by number, body and time)
before anything is sent again: marked sent if it got there, queued again if it did not.
That is how a worker killed mid-batch never makes a lead get the same message twice, and
never loses one.

The same path serves campaigns (email: broadcast stream, rendered per lead from the
campaign's templates, with an unsubscribe footer and headers; SMS: the body template with
the opt-out line, only inside the quiet hours of each text's zone) and one-off messages to a
lead (rendered when they were written). What differs by channel is the claim's rule
(outgoing.ClaimRule) and the transport (transports.py).

A campaign whose remaining texts all wait for their morning stops its sender and moves the
pending entry's heartbeat so the sweep starts it again when the earliest window opens.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Message
from mail.gateway import (
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
    record_outcomes,
    release,
    suppress_held,
)
from outreach.delivery.outgoing import Claimed, Outgoing, load_outgoing
from outreach.delivery.reconciliation import reconcile_expired
from outreach.delivery.send_rate import reserve
from outreach.lifecycle import Transition, can, drop_pending, move
from outreach.models import Campaign
from outreach.quiet_hours import next_opening
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


def batch_size(outgoing: Outgoing) -> int:
    return max(1, min(settings.CRM_SEND_BATCH_SIZE, int(send_rate(outgoing))))


def send_rate(outgoing: Outgoing) -> float:
    """Messages per second: the workspace's email rate, or its Twilio sender's."""
    if outgoing.channel == "sms":
        return float(outgoing.sms_account.send_rate if outgoing.sms_account else 1)
    workspace = outgoing.workspace
    return float(workspace.email_send_rate or settings.CRM_EMAIL_SEND_RATE)


def backoff_seconds(failures: int, retry_after: float | None) -> float:
    """How long to wait after the n-th failed call in a row; the provider's Retry-After wins."""
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
    campaign is paused or cancelled, the provider refuses the calls for good, what is left
    waits for its quiet hours to end, or `seconds` pass.

    Safe to run several at once for the same campaign: each message is claimed by one.
    `outcome` says why it stopped: done, paused, cancelled, gone, refused, suspended,
    waiting (quiet hours) or handover.
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
        size = batch_size(outgoing)
        wait = reserve(
            # Email and SMS budgets are separate: one key per workspace and channel.
            workspace_key=f"{outgoing.workspace.schema_name}:{outgoing.channel}",
            count=size,
            rate=send_rate(outgoing),
        )
        if wait > 0:
            sleep(wait)
        claimed, batch_key, taken = claim_batch(outgoing, size=size, now=timezone.now())
        if taken and not claimed:
            continue  # every message taken was settled as suppressed: the next batch
        if not claimed:
            earliest = (
                outgoing.scope()
                .filter(status=Message.Status.SENDING)
                .order_by("delivery__lease_until")
                .values_list("delivery__lease_until", flat=True)
                .first()
            )
            if earliest is None:
                if wait_for_quiet_hours(outgoing):
                    run.outcome = "waiting"
                    return run
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


def claim_batch(
    outgoing: Outgoing, *, size: int, now: datetime
) -> tuple[list[Claimed], uuid.UUID, int]:
    """Take up to `size` queued messages for one attempt, committed before any is sent;
    returns them, the attempt's batch key and how many rows were taken in all.

    Messages whose lead may not get them any more (email: lost the address, unsubscribed or
    was suppressed; SMS: not opted in, opted out, a number not E.164 or undeliverable) are
    settled as `suppressed` here instead: they are never sent. Campaign texts whose zone is
    outside its quiet hours at `now` are not taken.
    """
    batch_key = uuid.uuid4()
    scope, params = outgoing.scope_sql
    rule = outgoing.claim_rule(now)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH picked AS (
                SELECT id FROM crm_message
                WHERE {scope} AND status = 'queued' {rule.window_sql}
                ORDER BY id LIMIT %s
                FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE crm_message AS m
                SET status = 'sending', {rule.address_column} = {rule.address_sql}
                FROM picked, crm_lead AS l
                WHERE m.id = picked.id AND l.id = m.lead_id
                RETURNING m.id, l.id AS lead_id, coalesce(l.email, '') AS email, m.subject,
                    m.body, l.first_name, l.last_name, l.phone, l.company, l.source,
                    l.status, l.tags, l.custom_fields,
                    (SELECT s.name FROM crm_pipelinestage AS s WHERE s.id = l.stage_id) AS stage,
                    ({rule.blocked_sql}) AS blocked,
                    m.to_phone
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
            """,  # noqa: S608 - the scope and the rule are fixed strings of this package
            [
                *params,
                *rule.window_params,
                size,
                batch_key,
                settings.CRM_SEND_LEASE_SECONDS,
            ],
        )
        rows = cursor.fetchall()
        blocked = [row[0] for row in rows if row[14]]
        if blocked:
            settle_blocked(outgoing, blocked, batch_key, error=rule.error)
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
            phone=row[15] or "",
        )
        for row in sorted(rows, key=lambda row: row[0])
        if not row[14]
    ]
    return claimed, batch_key, len(rows)


def settle_blocked(
    outgoing: Outgoing, message_ids: list[int], batch_key: uuid.UUID, *, error: str
) -> None:
    count = suppress_held(message_ids, batch_key, error=error)
    bump_counters(outgoing, suppressed=count)


def wait_for_quiet_hours(outgoing: Outgoing) -> bool:
    """Nothing can be claimed now, but texts wait for their morning: leave the campaign
    sending and set its heartbeat so the sweep restarts it when the earliest of their
    windows opens (the sweep restarts an entry a lease after its heartbeat). False when
    nothing waits."""
    zones = outgoing.waiting_zones()
    if not zones:
        return False
    now = timezone.now()
    opens_at = min(next_opening(zone, now) for zone in zones)
    if opens_at <= now:
        return False  # a window opened meanwhile: not waiting, the next claim takes them
    lease = timedelta(seconds=settings.CRM_SEND_LEASE_SECONDS)
    with transaction.atomic():
        PendingSend.objects.filter(
            workspace_id=outgoing.workspace.pk, campaign_id=outgoing.pending_id
        ).update(heartbeat_at=opens_at - lease)
    log.info(
        "sms_waiting_for_quiet_hours",
        campaign_id=outgoing.pending_id,
        opens_at=opens_at.isoformat(),
        zones=zones[:20],
    )
    return True


def send_claimed(
    outgoing: Outgoing, claimed: Sequence[Claimed], batch_key: uuid.UUID, run: DeliveryRun
) -> None:
    """Render and send the claimed messages in as many provider calls as the channel's
    transport needs, recording each call's outcomes as soon as it answers."""
    ready: list[tuple[Claimed, Any]] = []
    broken: list[Outcome] = []
    bodies: list[tuple[int, str]] = []
    for item in claimed:
        try:
            message, body = outgoing.compose(item, batch_key)
        except PermanentSendError:
            release([c.message_id for c in claimed], batch_key)
            raise
        except Exception as error:  # a template that fails on this lead's data
            broken.append(Outcome(item.message_id, "failed", error=f"The template failed: {error}"))
            continue
        ready.append((item, message))
        if body is not None:
            bodies.append((item.message_id, body))
    if broken:
        run.add(record_outcomes(outgoing, broken, batch_key))
    if bodies:
        # What reconciliation matches a text by, should Twilio's answer be lost.
        write_bodies(bodies, batch_key)
    transport = outgoing.transport
    chunks: list[list[tuple[Claimed, Any]]] = []
    start = 0
    for batch in transport.split([message for _, message in ready]):
        chunks.append(ready[start : start + len(batch)])
        start += len(batch)
    for position, chunk in enumerate(chunks):
        later = [item.message_id for rest in chunks[position + 1 :] for item, _ in rest]
        try:
            answers = transport.send(outgoing, [message for _, message in chunk])
        except SendError as error:
            release(later, batch_key)
            _unsent([item.message_id for item, _ in chunk], error, batch_key)
            raise
        outcomes: list[Outcome] = []
        failed_calls: list[tuple[int, SendError]] = []
        for (item, message), answer in zip(chunk, answers, strict=True):
            outcome = transport.outcome_of(item.message_id, message, answer)
            if outcome is not None:
                outcomes.append(outcome)
            else:
                failed_calls.append((item.message_id, answer))
        run.add(record_outcomes(outgoing, outcomes, batch_key))
        if failed_calls:
            # Calls of their own that failed (a text per call): each is released or held for
            # reconciling as its error says, and the run backs off (or stops) as for a batch.
            release(later, batch_key)
            for message_id, call_error in failed_calls:
                _unsent([message_id], call_error, batch_key)
            errors = [call_error for _, call_error in failed_calls]
            permanent = [e for e in errors if not isinstance(e, TransientSendError)]
            raise (permanent or errors)[0]


def _unsent(message_ids: list[int], error: SendError, batch_key: uuid.UUID) -> None:
    if isinstance(error, TransientSendError) and not error.accepted_nothing:
        # They may have arrived: leave them claimed and look them up once the provider has
        # had time to finish what it was doing (reconcile_expired); never resend blindly.
        hold_for_reconciling(message_ids, batch_key)
    else:
        release(message_ids, batch_key)


def write_bodies(bodies: Sequence[tuple[int, str]], batch_key: uuid.UUID) -> None:
    """The rendered text on each message still held by this attempt, before it is sent."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE crm_message AS m SET body = u.body
            FROM unnest(%s::bigint[], %s::text[]) AS u(id, body), outreach_delivery AS d
            WHERE m.id = u.id AND d.message_id = m.id AND d.batch_key = %s
                AND m.status = 'sending'
            """,
            [[m for m, _ in bodies], [b for _, b in bodies], batch_key],
        )


def note_retry(outgoing: Outgoing, error: TransientSendError, delay: float) -> None:
    log.warning(
        f"{outgoing.channel}_batch_retry",
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
    """The provider refuses every call (a bad token, a suspended server, Twilio credentials
    that no longer work): pause, say why and what to fix."""
    log.error(
        f"{outgoing.channel}_batch_refused", campaign_id=outgoing.pending_id, error=str(error)
    )
    if outgoing.campaign is None:
        return  # one-off emails wait in the queue; the next sweep tries again
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=outgoing.campaign.pk)
        if not can(campaign, Transition.HALT):
            return
        if outgoing.channel == "sms":
            advice = (
                "Fix the Twilio account in Settings → SMS (its SID, auth token or API key, "
                "and sender), then resume the campaign."
            )
        else:
            advice = (
                "Check the Postmark server token and sender signature, then resume the campaign."
            )
        last_error = f"{error} Nothing more was sent. {advice}"[:2000]
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
