"""A campaign's lifecycle: one transition table, and one function that moves a campaign,
keeps its entry in the public pending-send list and writes its event.

Callers ask (`can_edit`, `can`) instead of re-checking statuses; the engine and the
services both move a campaign only through `move`, inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.utils import timezone

from accounts.models import User
from crm.services.events import record_event
from mail.models import PendingSend
from outreach.errors import CampaignStateConflict
from outreach.events import CampaignEvent
from outreach.models import Campaign
from tenants.schemas import current_workspace

Status = Campaign.Status
LONG_AGO = timedelta(days=3650)


class Transition(StrEnum):
    SEND = "send"  # a person sends a draft or a scheduled campaign now
    SCHEDULE = "schedule"  # a person picks (or moves) the time it goes out
    START = "start"  # the beat starts a scheduled campaign that is due
    PAUSE = "pause"  # a person stops new batches
    HALT = "halt"  # the engine stops: the provider refuses every call
    RESUME = "resume"
    CANCEL = "cancel"
    FINISH = "finish"  # the engine found nothing left to send


class Pending(StrEnum):
    """What becomes of the campaign's pending-send entry after the move."""

    ACTIVE = "active"
    SCHEDULED = "scheduled"
    PAUSED = "paused"
    DROP = "drop"


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str
    verb: CampaignEvent
    pending: Pending
    doing: str  # for the error: "A sent campaign cannot be <doing>"


TRANSITIONS: dict[Transition, Rule] = {
    Transition.SEND: Rule(
        (Status.DRAFT, Status.SCHEDULED), Status.SENDING, CampaignEvent.SEND_STARTED,
        Pending.ACTIVE, "sent",
    ),
    Transition.SCHEDULE: Rule(
        (Status.DRAFT, Status.SCHEDULED), Status.SCHEDULED, CampaignEvent.SCHEDULED,
        Pending.SCHEDULED, "scheduled",
    ),
    Transition.START: Rule(
        (Status.SCHEDULED,), Status.SENDING, CampaignEvent.SEND_STARTED, Pending.ACTIVE,
        "started",
    ),
    Transition.PAUSE: Rule(
        (Status.SENDING,), Status.PAUSED, CampaignEvent.PAUSED, Pending.PAUSED, "paused"
    ),
    Transition.HALT: Rule(
        (Status.SENDING,), Status.PAUSED, CampaignEvent.PAUSED, Pending.PAUSED, "halted"
    ),
    Transition.RESUME: Rule(
        (Status.PAUSED,), Status.SENDING, CampaignEvent.RESUMED, Pending.ACTIVE, "resumed"
    ),
    Transition.CANCEL: Rule(
        (Status.SCHEDULED, Status.SENDING, Status.PAUSED), Status.CANCELLED,
        CampaignEvent.CANCELLED, Pending.DROP, "cancelled",
    ),
    Transition.FINISH: Rule(
        (Status.SENDING,), Status.SENT, CampaignEvent.SENT, Pending.DROP, "finished"
    ),
}  # fmt: skip

# The columns a move may stamp, besides status.
STAMPS = {
    Transition.SEND: "started_at",
    Transition.START: "started_at",
    Transition.CANCEL: "finished_at",
    Transition.FINISH: "finished_at",
}
# On its way out: may change without anyone touching it (pages keep polling).
LIVE = (Status.SCHEDULED, Status.SENDING)


def can(campaign: Campaign, transition: Transition) -> bool:
    return campaign.status in TRANSITIONS[transition].sources


def can_edit(campaign: Campaign) -> bool:
    """Only a draft's content and audience may change; what was sent stays as it was."""
    return campaign.status == Status.DRAFT


def can_delete(campaign: Campaign) -> bool:
    """Not while it is on its way out (the service also waits for a batch in flight)."""
    return campaign.status not in (*LIVE, Status.PAUSED)


def is_live(campaign: Campaign) -> bool:
    """Scheduled or sending: its status or progress moves by itself."""
    return campaign.status in LIVE


def allowed_actions(campaign: Campaign) -> dict[str, bool]:
    """What a person may do next, for pages to show only the buttons that work."""
    people = (
        Transition.SEND,
        Transition.SCHEDULE,
        Transition.PAUSE,
        Transition.RESUME,
        Transition.CANCEL,
    )
    return {
        **{str(transition): can(campaign, transition) for transition in people},
        "edit": can_edit(campaign),
        "delete": can_delete(campaign),
    }


def expect(campaign: Campaign, transition: Transition) -> None:
    """Raise CampaignStateConflict (409) unless the transition is open from its status;
    services call it before their other checks, so the answer names the state first."""
    rule = TRANSITIONS[transition]
    if campaign.status not in rule.sources:
        raise CampaignStateConflict(
            f"A {campaign.status} campaign cannot be {rule.doing}; "
            f"only a {' or '.join(rule.sources)} one can."
        )


def move(
    campaign: Campaign,
    transition: Transition,
    *,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    pending: Pending | None = None,
    fields: dict[str, Any] | None = None,
) -> Campaign:
    """Move a campaign (locked by the caller, in its transaction) along one transition: its
    status, its time stamp, any other `fields`, its pending-send entry and its event.
    Raises CampaignStateConflict (409) when the transition is not open from its status."""
    expect(campaign, transition)
    rule = TRANSITIONS[transition]
    now = timezone.now()
    campaign.status = rule.target
    updated = ["status", "updated_at"]
    if transition in STAMPS:
        setattr(campaign, STAMPS[transition], now)
        updated.append(STAMPS[transition])
    for name, value in (fields or {}).items():
        setattr(campaign, name, value)
        updated.append(name)
    campaign.save(update_fields=updated)
    keep_pending(campaign, pending or rule.pending, now=now)
    record_event(actor=actor, verb=rule.verb, obj=campaign, changes=changes)
    return campaign


def keep_pending(campaign: Campaign, pending: Pending, *, now: datetime | None = None) -> None:
    """The campaign's entry in the public list the sweep reads: due now (active), due at
    its scheduled time, parked (paused), or gone."""
    now = now or timezone.now()
    if pending == Pending.DROP:
        drop_pending(campaign.pk)
    elif pending == Pending.PAUSED:
        PendingSend.objects.filter(
            workspace_id=current_workspace().pk, campaign_id=campaign.pk
        ).update(state=PendingSend.State.PAUSED)
    elif pending == Pending.SCHEDULED:
        _write_pending(
            campaign.pk,
            state=PendingSend.State.SCHEDULED,
            due_at=campaign.scheduled_at or now,
            heartbeat_at=now - LONG_AGO,
        )
    else:
        _write_pending(campaign.pk, state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now)


def keep_direct_pending(channel: str = "email") -> None:
    """One-off emails (or texts) are waiting: the sweep keeps their sender going."""
    now = timezone.now()
    _write_pending(
        direct_pending_id(channel), state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now
    )


def direct_pending_id(channel: str) -> int:
    """The PendingSend campaign_id of a workspace's one-off messages of a channel."""
    return PendingSend.DIRECT_SMS if channel == "sms" else PendingSend.DIRECT


def drop_pending(campaign_id: int) -> None:
    PendingSend.objects.filter(
        workspace_id=current_workspace().pk, campaign_id=campaign_id
    ).delete()


def _write_pending(
    campaign_id: int, *, state: str, due_at: datetime, heartbeat_at: datetime
) -> None:
    PendingSend.objects.update_or_create(
        workspace_id=current_workspace().pk,
        campaign_id=campaign_id,
        defaults={"state": state, "due_at": due_at, "heartbeat_at": heartbeat_at},
    )
