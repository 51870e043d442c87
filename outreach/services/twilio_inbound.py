"""A text a lead sends to the workspace's Twilio number, applied in one transaction.

STOP and its friends opt every lead with that number out at once (START/UNSTOP opts back
in, HELP is answered with the workspace's help text), and an opt-out counts against the
last SMS campaign that texted the lead in the last 30 days. Any other text is a reply: a
crm.Message (inbound, received) on the lead with that number, an event on its timeline and
a reply counted on the last SMS campaign that texted the lead in the last 7 days, each
campaign counting a lead's replies once. A number no lead has becomes a new lead: someone
who writes first is a contact worth keeping, even past the plan's lead limit (as a payment
from a new address is).

The same MessageSid twice (a retried webhook) changes nothing and is answered with no reply,
so the lead is never texted the same answer twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import Lead, Message
from crm.phone_numbers import UnusablePhoneNumber, normalise_phone
from crm.services.events import record_event
from crm.services.leads import create_lead
from crm.services.sms_consent import InboundKeyword, apply_inbound_keyword
from outreach.events import LeadSmsEvent
from outreach.models import Campaign
from sms.selectors.account import sms_account
from sms.services.twilio_events import link_twilio_event, record_twilio_event

log = structlog.get_logger(__name__)
OPT_OUT_WINDOW = timedelta(days=30)
REPLY_WINDOW = timedelta(days=7)
MEDIA_ONLY_BODY = "(a picture or file, not shown here)"


@dataclass(frozen=True)
class InboundResult:
    kind: str  # opt_out | opt_in | help | reply | duplicate | ignored
    reply: str = ""  # what to text back ("" for none)
    lead_id: int | None = None
    message_id: int | None = None
    lead_created: bool = False


@transaction.atomic
def receive_twilio_text(
    *, message_sid: str, from_phone: str, to_phone: str, body: str, media_count: int = 0
) -> InboundResult:
    """Apply one inbound text from `from_phone` (a keyword, or a reply to keep) once per
    MessageSid; returns what to answer Twilio with."""
    if not message_sid or not record_twilio_event(key=message_sid, kind="inbound"):
        log.info("twilio_inbound_duplicate", provider_id=message_sid)
        return InboundResult("duplicate")
    outcome = apply_inbound_keyword(phone=from_phone, body=body)
    if outcome.keyword == InboundKeyword.OPT_OUT:
        _count_opt_out(outcome.lead_ids)
        log.info("twilio_inbound_opt_out", provider_id=message_sid, leads=len(outcome.lead_ids))
        return InboundResult("opt_out", outcome.reply)
    if outcome.keyword == InboundKeyword.OPT_IN:
        log.info("twilio_inbound_opt_in", provider_id=message_sid, leads=len(outcome.lead_ids))
        return InboundResult("opt_in", outcome.reply)
    if outcome.keyword == InboundKeyword.HELP:
        account = sms_account()
        own = account.help_text.strip() if account is not None else ""
        return InboundResult("help", own or outcome.reply)
    return _keep_reply(message_sid, from_phone, to_phone, body, media_count)


def _keep_reply(
    message_sid: str, from_phone: str, to_phone: str, body: str, media_count: int
) -> InboundResult:
    try:
        number = normalise_phone(from_phone)
    except UnusablePhoneNumber:  # a short code or a sender name: no lead can be texted back
        log.warning("twilio_inbound_unusable_number", provider_id=message_sid)
        return InboundResult("ignored")
    lead = Lead.objects.filter(phone=number).order_by("-updated_at", "-id").first()
    created = lead is None
    if lead is None:
        lead = create_lead(
            actor=None,
            within_plan=False,
            phone=number,
            source=Lead.Source.OTHER,
            source_detail="Texted the workspace",
        )
    now = timezone.now()
    message = Message.objects.create(
        lead=lead,
        channel=Message.Channel.SMS,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body=body.strip() or (MEDIA_ONLY_BODY if media_count else ""),
        provider_id=message_sid,
        to_phone=to_phone[:16],
        occurred_at=now,
    )
    link_twilio_event(key=message_sid, message_id=message.pk)
    campaign_id = _count_reply(lead, message)
    record_event(
        actor=None,
        verb=LeadSmsEvent.RECEIVED,
        obj=lead,
        changes={
            "message_id": message.pk,
            "campaign_id": campaign_id,
            "new_lead": created,
            "media": media_count,
        },
    )
    log.info("twilio_inbound_reply", message_id=message.pk, lead_id=lead.pk, new_lead=created)
    return InboundResult("reply", lead_id=lead.pk, message_id=message.pk, lead_created=created)


def _last_campaign_text(lead_ids: list[int], window: timedelta) -> Message | None:
    """The latest campaign text sent to these leads within `window`, locked: two texts
    from the lead at once are counted one after the other."""
    return (
        Message.objects.select_for_update()
        .filter(
            lead_id__in=lead_ids,
            channel=Message.Channel.SMS,
            direction=Message.Direction.OUTBOUND,
            campaign__isnull=False,
            sent_at__gte=timezone.now() - window,
        )
        .order_by("-sent_at", "-id")
        .first()
    )


def _count_opt_out(lead_ids: list[int]) -> None:
    """Once per campaign text: the lead's first STOP after it is the campaign's opt-out."""
    text = _last_campaign_text(lead_ids, OPT_OUT_WINDOW) if lead_ids else None
    if text is None or text.campaign_id is None or text.unsubscribed_at is not None:
        return
    text.unsubscribed_at = timezone.now()
    text.save(update_fields=["unsubscribed_at"])
    Campaign.objects.filter(pk=text.campaign_id).update(
        unsubscribed_count=F("unsubscribed_count") + 1
    )


def _count_reply(lead: Lead, reply: Message) -> int | None:
    """The campaign this reply answers, counted once per lead: a second reply to the same
    campaign text finds the first one after it and counts nothing."""
    text = _last_campaign_text([lead.pk], REPLY_WINDOW)
    if text is None or text.campaign_id is None or text.sent_at is None:
        return None
    replied_before = (
        Message.objects.filter(
            lead=lead,
            channel=Message.Channel.SMS,
            direction=Message.Direction.INBOUND,
            occurred_at__gte=text.sent_at,
        )
        .exclude(pk=reply.pk)
        .exists()
    )
    if not replied_before:
        Campaign.objects.filter(pk=text.campaign_id).update(replied_count=F("replied_count") + 1)
    return text.campaign_id
