"""Reconciling after a crash: messages still claimed after their lease are looked up in
Postmark's message search by batch key; those Postmark has are marked sent, the others go
back to the queue. Nothing is ever sent again without this look."""

from __future__ import annotations

import uuid

import structlog
from django.db import transaction
from django.utils import timezone

from crm.models import Message
from mail.gateway import (
    PermanentSendError,
    TransientSendError,
)
from outreach.delivery.outcomes import Outcome, bump_counters, release, write_outcomes
from outreach.delivery.outgoing import Outgoing

log = structlog.get_logger(__name__)


def reconcile_expired(outgoing: Outgoing) -> int:
    """Settle messages whose send attempt outlived its lease (the worker died, or the call's
    answer was lost): those Postmark has are marked sent, the others go back to the queue.
    Returns how many were settled."""
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
        try:
            found = outgoing.transport.find_sent(batch_key)
        except (TransientSendError, PermanentSendError) as error:
            log.warning("email_reconcile_postponed", batch=batch_key.hex, error=str(error))
            continue
        prefix = f"{outgoing.workspace.pk}."
        arrived = {
            int(message.metadata["crm_message"].removeprefix(prefix)): message.provider_id
            for message in found
            if message.metadata.get("crm_message", "").startswith(prefix)
        }
        settled += _settle_reconciled(outgoing, batch_key, arrived)
    return settled


def _settle_reconciled(outgoing: Outgoing, batch_key: uuid.UUID, arrived: dict[int, str]) -> int:
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
        went = [Outcome(m, "sent", arrived[m]) for m in held if m in arrived]
        written = write_outcomes(went, batch_key)
        back = [message_id for message_id in held if message_id not in arrived]
        release(back, batch_key)
        bump_counters(outgoing, sent=len(written))
    log.info(
        "email_batch_reconciled",
        campaign_id=outgoing.pending_id,
        batch=batch_key.hex,
        found_sent=len(written),
        requeued=len(back),
    )
    return len(held)
