"""Who may be emailed: the suppression list, unsubscribing, and re-subscribing (by the lead)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.models import Lead, Message
from crm.services.events import record_event
from outreach.events import LeadEmailEvent
from outreach.models import Campaign, Suppression
from outreach.selectors.audience import leads_with, suppressions_with
from project.errors import InvalidInput, field_error

LIFTED_BY_PROVIDER = (Suppression.Reason.HARD_BOUNCE, Suppression.Reason.INACTIVE)


def suppress_address(
    *, email: str, reason: str, lead_id: int | None = None, message_id: int | None = None
) -> bool:
    """Put an address on the suppression list (once; the first reason stays). True if new."""
    if not email.strip():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO outreach_suppression (email, reason, lead_id, message_id, created_at)
            VALUES (%s, %s, %s, %s, now())
            ON CONFLICT (lower(email)) DO NOTHING
            RETURNING id
            """,
            [email.strip(), reason, lead_id, message_id],
        )
        return cursor.fetchone() is not None


def suppressions_of(email: str) -> list[Suppression]:
    return list(suppressions_with(email))


@transaction.atomic
def unsubscribe_lead(*, lead_id: int, message_id: int | None = None, via: str) -> Lead | None:
    """The lead asked to get no more marketing email: mark it, suppress its address and count
    it against the campaign whose email carried the link. Safe to repeat; None if gone."""
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        return None
    first_time = lead.unsubscribed_at is None
    if first_time:
        lead.unsubscribed_at = timezone.now()
        lead.save(update_fields=["unsubscribed_at"])
    if lead.email:
        suppress_address(
            email=lead.email,
            reason=Suppression.Reason.UNSUBSCRIBED,
            lead_id=lead.pk,
            message_id=message_id,
        )
    message = (
        Message.objects.select_for_update().filter(pk=message_id, lead_id=lead.pk).first()
        if message_id
        else None
    )
    if message is not None and message.unsubscribed_at is None:
        message.unsubscribed_at = timezone.now()
        message.save(update_fields=["unsubscribed_at"])
        if message.campaign_id:
            Campaign.objects.filter(pk=message.campaign_id).update(
                unsubscribed_count=F("unsubscribed_count") + 1
            )
    if first_time:
        record_event(
            actor=None,
            verb=LeadEmailEvent.UNSUBSCRIBED,
            obj=lead,
            changes={
                "via": via,
                "message_id": message_id,
                "campaign_id": message.campaign_id if message else None,
            },
        )
    return lead


@dataclass(frozen=True)
class Resubscribed:
    lead: Lead
    still_blocked_by: str  # a reason the lead cannot lift (a bounce, a complaint), or ""


@transaction.atomic
def resubscribe_lead(*, lead_id: int) -> Resubscribed | None:
    """Only the lead does this, through its own unsubscribe link: lifts its unsubscribe.
    A hard bounce or a spam complaint stays (the address itself cannot take email)."""
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        return None
    was_unsubscribed = lead.unsubscribed_at is not None
    lead.unsubscribed_at = None
    lead.save(update_fields=["unsubscribed_at"])
    blocked_by = ""
    if lead.email:
        for suppression in suppressions_of(lead.email):
            if suppression.reason == Suppression.Reason.UNSUBSCRIBED:
                suppression.delete()
            else:
                blocked_by = suppression.get_reason_display()
    if was_unsubscribed:
        record_event(
            actor=None,
            verb=LeadEmailEvent.RESUBSCRIBED,
            obj=lead,
            changes={"via": "unsubscribe_link"},
        )
    return Resubscribed(lead, blocked_by)


@transaction.atomic
def lift_provider_suppression(*, email: str, by_recipient: bool) -> int:
    """Postmark says an address takes email again. A recipient's own re-subscription lifts
    everything; a reactivation by the sender lifts bounces only, never an unsubscribe."""
    lifted = 0
    for suppression in suppressions_of(email):
        if by_recipient or suppression.reason in LIFTED_BY_PROVIDER:
            suppression.delete()
            lifted += 1
    if by_recipient:
        leads_with(email).update(unsubscribed_at=None)
    return lifted


@transaction.atomic
def add_suppression(*, actor: User | None, email: str) -> Suppression:
    """The team puts an address on the do-not-email list (422 for a malformed address)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            details=[field_error("email", "invalid_email", "Enter a valid email address.")]
        ) from None
    lead = leads_with(email).first()
    suppress_address(
        email=email, reason=Suppression.Reason.MANUAL, lead_id=lead.pk if lead else None
    )
    suppression = suppressions_of(email)[0]
    if lead is not None:
        record_event(
            actor=actor,
            verb=LeadEmailEvent.SUPPRESSED,
            obj=lead,
            changes={"reason": suppression.reason},
        )
    return suppression
