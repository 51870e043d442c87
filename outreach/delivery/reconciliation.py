"""Reconciling after a crash: messages still claimed after their lease are looked up at
their provider before anything is sent again. Email: Postmark's message search by the
attempt's batch key. SMS: Twilio keeps no metadata, so each text is looked up by its number,
the body written on it before the call, and the time its attempt began. Those the provider
has are marked sent with its id; the others go back to the queue."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import structlog
from django.db import transaction
from django.utils import timezone

from crm.models import Message
from mail.gateway import (
    PermanentSendError,
    TransientSendError,
)
from outreach.delivery.outcomes import Outcome, account_for, release, write_outcomes
from outreach.delivery.outgoing import Outgoing
from outreach.delivery.transports import Arrived, HeldMessage

log = structlog.get_logger(__name__)


def reconcile_expired(outgoing: Outgoing) -> int:
    """Settle messages whose send attempt outlived its lease (the worker died, or the call's
    answer was lost): those the provider has are marked sent, the others go back to the
    queue. Returns how many were settled."""
    expired = list(
        outgoing.scope()
        .filter(status=Message.Status.SENDING, delivery__lease_until__lt=timezone.now())
        .values_list("delivery__batch_key", flat=True)
        .distinct()
    )
    settled = 0
    for batch_key in expired:
        if batch_key is None:
            continue
        held = [
            HeldMessage(*row)
            for row in outgoing.scope()
            .filter(status=Message.Status.SENDING, delivery__batch_key=batch_key)
            .values_list("pk", "to_phone", "body", "delivery__attempted_at")
        ]
        try:
            found = outgoing.transport.arrived(outgoing, batch_key, held)
        except (TransientSendError, PermanentSendError) as error:
            log.warning("delivery_reconcile_postponed", batch=batch_key.hex, error=str(error))
            continue
        settled += _settle_reconciled(outgoing, batch_key, found)
    return settled


def _settle_reconciled(
    outgoing: Outgoing, batch_key: uuid.UUID, found: dict[int, list[Arrived]]
) -> int:
    with transaction.atomic():
        # A plain FOR UPDATE over the join locks each message and then its delivery row, as
        # every statement that settles a message does: a concurrent change to either is seen.
        held = list(
            Message.objects.select_for_update()
            .filter(
                status=Message.Status.SENDING,
                delivery__batch_key=batch_key,
                delivery__lease_until__lt=timezone.now(),
            )
            .values_list("pk", flat=True)
        )
        arrived = _unclaimed(found, held)
        went = [
            Outcome(m, "sent", arrived[m].provider_id, segments=arrived[m].segments)
            for m in held
            if m in arrived
        ]
        written = write_outcomes(went, batch_key)
        back = [message_id for message_id in held if message_id not in arrived]
        release(back, batch_key)
        account_for(outgoing, written)
    log.info(
        f"{outgoing.channel}_batch_reconciled",  # email_batch_reconciled, sms_batch_...
        campaign_id=outgoing.pending_id,
        batch=batch_key.hex,
        found_sent=len(written),
        requeued=len(back),
    )
    return len(held)


def _unclaimed(found: dict[int, list[Arrived]], held: Sequence[int]) -> dict[int, Arrived]:
    """One provider message per held message, never one already recorded on another
    message (two texts with the same words to the same number: each keeps its own)."""
    candidates = {sid.provider_id for arrivals in found.values() for sid in arrivals}
    taken = set(
        Message.objects.filter(provider_id__in=candidates).values_list("provider_id", flat=True)
    )
    chosen: dict[int, Arrived] = {}
    for message_id in held:
        for arrival in found.get(message_id, []):
            if arrival.provider_id not in taken:
                chosen[message_id] = arrival
                taken.add(arrival.provider_id)
                break
    return chosen
