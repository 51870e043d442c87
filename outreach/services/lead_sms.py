"""A one-off text to one lead, written by a member (a reply in the lead's conversation, a
reminder) and delivered like a campaign's: queued, claimed, sent once through the
workspace's Twilio account, its fate reported by Twilio's status callbacks.

Who may get one: a lead with a valid number that has not opted out and whose number is not
known to be undeliverable, and who either agreed to texts or texted the workspace in the
last day (answering someone who wrote first is a conversation, not marketing). Quiet hours
are a campaign's rule; a member's own text goes when they send it."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.models import Lead, Message
from crm.phone_numbers import E164_PATTERN
from crm.selectors.leads import get_lead
from crm.services.events import record_event
from outreach.delivery import after_commit_deliver_direct
from outreach.errors import RecipientNotTextable, SmsNotConnected
from outreach.events import LeadSmsEvent
from outreach.lifecycle import keep_direct_pending
from outreach.mail_templates import compile_template, lead_fields, render_text
from outreach.selectors.email_settings import sender_of
from outreach.sms_segments import count_segments
from project.errors import InvalidInput, field_error
from sms.selectors.account import sms_account
from tenants.limits import check_sms_segments, check_writable, record_sms_segments
from tenants.schemas import current_workspace

MAX_BODY = 1600  # Twilio refuses a longer body (21617)
CONVERSATION_WINDOW = timedelta(hours=24)


def textable_reason(lead: Lead) -> str:
    """Why this lead cannot get a one-off text now ("" when it can), as a person reads it."""
    if not lead.phone:
        return "This lead has no phone number; add one first."
    if not re.fullmatch(E164_PATTERN, lead.phone):
        return "This lead's phone number is not valid; correct it first."
    if lead.sms_consent == Lead.SmsConsent.OPTED_OUT:
        return "This lead replied STOP: no texts until they text START."
    if lead.sms_undeliverable_at is not None:
        return (
            "Twilio reported this number cannot take texts (a landline or an invalid "
            "number); correct it, then mark it deliverable again."
        )
    if lead.sms_consent != Lead.SmsConsent.OPTED_IN and not texted_in_recently(lead):
        return (
            "This lead has not agreed to texts. Record their SMS consent (and its source) "
            "first, or wait for them to text you."
        )
    return ""


def texted_in_recently(lead: Lead) -> bool:
    return Message.objects.filter(
        lead=lead,
        channel=Message.Channel.SMS,
        direction=Message.Direction.INBOUND,
        occurred_at__gte=timezone.now() - CONVERSATION_WINDOW,
    ).exists()


@transaction.atomic
def send_lead_sms(*, actor: User | None, lead_id: int, body: str) -> Message:
    """Queue a text to one lead (merge fields allowed) and send it in the background.
    Raises NotFound, InvalidInput (body), SmsNotConnected and RecipientNotTextable (409),
    PlanLimitReached when this month's SMS segments are used up, WorkspaceReadOnly."""
    if actor is not None:
        require(actor, Action.MANAGE_MESSAGES)
    check_writable()
    lead = Lead.objects.select_for_update().get(pk=get_lead(lead_id).pk)
    if not body.strip():
        raise InvalidInput(details=[field_error("body", "required", "Write the text.")])
    sender, _ = sender_of(current_workspace())
    text = render_text(
        compile_template(body, field="body"), lead=lead_fields(lead), sender=sender, field="body"
    )
    if not text or len(text) > MAX_BODY:
        raise InvalidInput(
            details=[
                field_error(
                    "body",
                    "invalid_length",
                    f"A text takes 1 to {MAX_BODY:,} characters; this one has {len(text):,}.",
                )
            ]
        )
    if sms_account() is None:
        raise SmsNotConnected()
    reason = textable_reason(lead)
    if reason:
        raise RecipientNotTextable(reason)
    segments = count_segments(text).segments
    check_sms_segments(adding=segments)
    message = Message.objects.create(
        lead=lead,
        channel=Message.Channel.SMS,
        direction=Message.Direction.OUTBOUND,
        body=text,
        status=Message.Status.QUEUED,
        author=actor,
        to_phone=lead.phone,
        segments=segments,
    )
    record_sms_segments(count=segments)
    keep_direct_pending("sms")
    record_event(
        actor=actor,
        verb=LeadSmsEvent.QUEUED,
        obj=lead,
        changes={"message_id": message.pk, "segments": segments},
    )
    after_commit_deliver_direct("sms")
    return message
