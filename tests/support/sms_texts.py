"""Texts that went out, for the webhook tests: an SMS campaign and a text sent through the
real gateway to the Twilio double with its status callback URL, recorded on the lead's
crm.Message as the delivery engine records a send Twilio accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from outreach.models import Campaign
from outreach.services.campaigns import create_campaign
from sms.callback_urls import inbound_url, status_callback_url
from sms.gateway import Sms, send_sms
from sms.selectors.account import credentials_of, sms_account
from tests.support.sms import SENDER


@dataclass(frozen=True)
class SentText:
    message_id: int
    sid: str  # Twilio's MessageSid at the double


def sms_campaign(workspace: Any, name: str = "Spring cohort") -> int:
    with schema_context(workspace.schema_name):
        campaign = create_campaign(
            actor=None, name=name, channel="sms", body_template="Doors open Monday. Reply STOP"
        )
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENT, sent_count=0)
        return campaign.pk


def send_text(
    workspace: Any, lead_id: int, *, campaign_id: int | None = None, body: str = "Hello there"
) -> SentText:
    """One text to the lead, sent at the double now (status sent, Twilio's SID kept)."""
    with schema_context(workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
        message = Message.objects.create(
            lead=lead,
            channel=Message.Channel.SMS,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.SENDING,
            body=body,
            campaign_id=campaign_id,
            to_phone=lead.phone,
            segments=1,
        )
        account = sms_account()
        assert account is not None
        sent = send_sms(
            credentials_of(account),
            Sms(
                to=lead.phone,
                body=body,
                from_number=account.phone_number,
                status_callback=status_callback_url(workspace, message.pk),
            ),
        )
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.SENT, provider_id=sent.sid, sent_at=timezone.now()
        )
        if campaign_id is not None:
            Campaign.objects.filter(pk=campaign_id).update(sent_count=F("sent_count") + 1)
    return SentText(message.pk, sent.sid)


def text_in(twilio: Any, workspace: Any, account: Any, from_: str, body: str, via: Any) -> Any:
    """A lead texts the workspace's number: (status, TwiML) as the app answered Twilio."""
    return twilio.inbound(inbound_url(workspace), from_, SENDER, body, account.sid, via=via)
