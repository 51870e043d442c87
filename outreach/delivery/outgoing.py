"""What a sender delivers: one campaign's messages (email: broadcast stream, rendered per
lead with an unsubscribe footer and headers; SMS: the body template rendered per lead with
the opt-out line) or a workspace's one-off messages of a channel (rendered when written), and
the email or text each claimed message becomes.

What differs between channels in the claim is here too (`ClaimRule`): the address the
message is sent to, and what keeps a lead from getting it now (email: no address,
unsubscribed or suppressed; SMS: not opted in, opted out, a number not E.164 or known to be
undeliverable, and for a campaign the quiet hours of the message's zone)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils.html import linebreaks

from crm.models import Message
from crm.phone_numbers import E164_PATTERN
from mail.gateway import (
    Email,
    broadcast_stream,
    transactional_stream,
)
from outreach.delivery.transports import (
    BATCH_METADATA_KEY,
    Transport,
    no_sms_account,
    transport_for,
)
from outreach.lifecycle import direct_pending_id
from outreach.mail_templates import (
    CompiledEmail,
    RenderedEmail,
    Sender,
    compiled_for,
    render_text,
)
from outreach.models import Campaign
from outreach.quiet_hours import open_zones
from outreach.selectors.email_settings import sender_of
from outreach.selectors.sending_identity import SenderIdentity, sending_identity
from outreach.unsubscribe_links import unsubscribe_url
from sms.callback_urls import status_callback_url
from sms.compose import with_opt_out_line
from sms.gateway import Sms, TwilioCredentials
from sms.models import SmsAccount
from sms.selectors.account import credentials_of, sms_account
from tenants.models import Workspace
from tenants.schemas import current_workspace

EMAIL_BLOCKED = """l.email IS NULL OR l.unsubscribed_at IS NOT NULL OR EXISTS (
    SELECT 1 FROM outreach_suppression AS x WHERE lower(x.email) = lower(l.email)
)"""
EMAIL_BLOCKED_ERROR = "Not sent: the lead unsubscribed, was suppressed or has no email any more."
# A one-off text's consent was checked when a member wrote it (a lead who texted in may get
# an answer); what a campaign text needs is the lead's opt-in, still standing.
SMS_NUMBER_BLOCKED = (
    "l.sms_consent = 'opted_out' OR l.sms_undeliverable_at IS NOT NULL "
    f"OR l.phone IS NULL OR l.phone !~ '{E164_PATTERN}'"
)
SMS_CAMPAIGN_BLOCKED = f"l.sms_consent <> 'opted_in' OR {SMS_NUMBER_BLOCKED}"
SMS_BLOCKED_ERROR = (
    "Not sent: the lead has not opted in to texts, opted out, or their number is not valid "
    "or cannot take texts."
)
_zones: dict[tuple[str, int, datetime | None], list[str]] = {}


@dataclass(frozen=True)
class ClaimRule:
    """The channel's part of the claim statement: which column gets the address (and from
    what), which leads may not get the message now (settled `suppressed` with `error`),
    and an extra condition on the messages taken (quiet hours) with its parameters."""

    address_column: str
    address_sql: str
    blocked_sql: str
    error: str
    window_sql: str = ""
    window_params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Claimed:
    """A message claimed for one send attempt, with what its email is made of."""

    message_id: int
    lead_id: int
    email: str
    subject: str
    body: str
    lead: dict[str, Any]
    phone: str = ""  # a text's number (E.164)


@dataclass
class Outgoing:
    """What is being delivered: one campaign's messages, or the workspace's one-off emails."""

    workspace: Workspace
    sender: Sender
    identity: SenderIdentity
    campaign: Campaign | None
    compiled: CompiledEmail | None = None
    direct_channel: str = "email"  # the channel of one-off messages (campaign None)
    sms_account: SmsAccount | None = None  # the workspace's Twilio account (SMS only)

    @property
    def channel(self) -> str:
        return self.campaign.channel if self.campaign is not None else self.direct_channel

    @property
    def pending_id(self) -> int:
        if self.campaign is not None:
            return self.campaign.pk
        return direct_pending_id(self.direct_channel)

    @property
    def scope_sql(self) -> tuple[str, list[Any]]:
        if self.campaign is not None:
            return "campaign_id = %s", [self.campaign.pk]
        return (
            "campaign_id IS NULL AND channel = %s AND direction = 'outbound'",
            [self.direct_channel],
        )

    def scope(self) -> Any:
        if self.campaign is not None:
            return Message.objects.filter(campaign_id=self.campaign.pk)
        return Message.objects.filter(
            campaign__isnull=True,
            channel=self.direct_channel,
            direction=Message.Direction.OUTBOUND,
        )

    @property
    def transport(self) -> Transport:
        """The channel's way to its provider."""
        return transport_for(self.channel)

    @property
    def may_claim(self) -> bool:
        return self.campaign is None or self.campaign.status == Campaign.Status.SENDING

    def sms_credentials(self) -> TwilioCredentials:
        if self.sms_account is None:
            raise no_sms_account()
        return credentials_of(self.sms_account)

    @property
    def quiet_hours_apply(self) -> bool:
        """Campaign texts keep the lead's hours; a member's own text goes when written."""
        return self.channel == "sms" and self.campaign is not None

    def zones(self) -> list[str]:
        """The zones the campaign's texts keep (fixed once its audience is frozen)."""
        if self.campaign is None:
            return []
        key = (self.workspace.schema_name, self.campaign.pk, self.campaign.frozen_at)
        found = _zones.get(key)
        if found is None:
            found = sorted(
                set(
                    Message.objects.filter(campaign_id=self.campaign.pk)
                    .values_list("time_zone", flat=True)
                    .distinct()
                )
            )
            if self.campaign.frozen_at is not None:
                if len(_zones) > 256:
                    _zones.clear()
                _zones[key] = found
        return found

    def claim_rule(self, now: datetime) -> ClaimRule:
        if self.channel != "sms":
            email = "coalesce(l.email, '')"
            return ClaimRule("to_email", email, EMAIL_BLOCKED, EMAIL_BLOCKED_ERROR)
        address = "left(coalesce(l.phone, ''), 16)"
        if not self.quiet_hours_apply:
            return ClaimRule("to_phone", address, SMS_NUMBER_BLOCKED, SMS_BLOCKED_ERROR)
        return ClaimRule(
            "to_phone",
            address,
            SMS_CAMPAIGN_BLOCKED,
            SMS_BLOCKED_ERROR,
            window_sql="AND (time_zone = '' OR time_zone = ANY(%s::text[]))",
            window_params=(open_zones(self.zones(), now),),
        )

    def waiting_zones(self) -> list[str]:
        """The zones of the texts still queued (a campaign's, outside their hours)."""
        if not self.quiet_hours_apply:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT time_zone FROM crm_message "
                "WHERE campaign_id = %s AND status = 'queued'",
                [self.pending_id],
            )
            return [row[0] for row in cursor.fetchall()]

    def compose(self, claimed: Claimed, batch_key: uuid.UUID) -> tuple[Any, str | None]:
        """The provider message a claimed message becomes, with the body to write on the
        message before the call (SMS: what reconciliation matches it by), or None."""
        if self.channel == "sms":
            body = self.render_sms(claimed)
            return self.sms(claimed, body), body
        link = self.unsubscribe_link(claimed)
        rendered = self.render(claimed, link)
        return self.email(claimed, rendered, batch_key, link), None

    def render_sms(self, claimed: Claimed) -> str:
        if self.campaign is None or self.compiled is None:
            body = claimed.body  # written, merge values and all, by a member: sent as it is
        else:
            text = render_text(self.compiled.text, lead=claimed.lead, sender=self.sender)
            body = with_opt_out_line(text)
        if not body.strip():
            raise ValueError("the text is empty for this lead")
        return body

    def sms(self, claimed: Claimed, body: str) -> Sms:
        account = self.sms_account
        if account is None:
            raise no_sms_account()
        return Sms(
            to=claimed.phone,
            body=body,
            from_number=account.phone_number,
            messaging_service_sid=account.messaging_service_sid,
            status_callback=status_callback_url(self.workspace, claimed.message_id),
        )

    def unsubscribe_link(self, claimed: Claimed) -> str:
        """The lead's own signed link (campaigns only: one-off emails carry none)."""
        if self.campaign is None:
            return ""
        return unsubscribe_url(
            workspace=self.workspace, lead_id=claimed.lead_id, message_id=claimed.message_id
        )

    def render(self, claimed: Claimed, unsubscribe_link: str) -> RenderedEmail:
        if self.campaign is None or self.compiled is None:
            # The body was rendered when written, merge values and all: plain text, so all of
            # it is escaped on its way into HTML.
            html = linebreaks(claimed.body, autoescape=True)
            return RenderedEmail(claimed.subject, claimed.body, html)
        return self.compiled.render(
            lead=claimed.lead, sender=self.sender, unsubscribe_url=unsubscribe_link
        )

    def email(
        self,
        claimed: Claimed,
        rendered: RenderedEmail,
        batch_key: uuid.UUID,
        unsubscribe_link: str,
    ) -> Email:
        metadata = {
            "crm_message": f"{self.workspace.pk}.{claimed.message_id}",
            BATCH_METADATA_KEY: batch_key.hex,
        }
        headers: dict[str, str] = {}
        if unsubscribe_link:
            headers = {
                "List-Unsubscribe": f"<{unsubscribe_link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        return Email(
            to=claimed.email,
            subject=rendered.subject,
            text_body=rendered.text_body,
            html_body=rendered.html_body,
            stream=broadcast_stream() if self.campaign else transactional_stream(),
            tag=f"campaign-{self.campaign.pk}" if self.campaign else "one-off",
            from_name=self.identity.from_name,
            from_email=self.identity.from_email,
            reply_to=self.identity.reply_to,
            metadata=metadata,
            headers=headers,
        )


def load_outgoing(campaign_id: int | None, channel: str = "email") -> Outgoing | None:
    """The current state of what to deliver (a campaign, or the one-off messages of
    `channel`); None when the campaign no longer exists."""
    workspace = current_workspace()
    sender, _ = sender_of(workspace)
    identity = sending_identity(workspace)
    if campaign_id is None:
        account = sms_account() if channel == "sms" else None
        return Outgoing(
            workspace, sender, identity, None, direct_channel=channel, sms_account=account
        )
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    compiled = compiled_for(
        (workspace.schema_name, campaign.pk, campaign.frozen_at),
        subject=campaign.subject,
        text=campaign.body_template,
        html=campaign.html_template,
    )
    account = sms_account() if campaign.channel == "sms" else None
    return Outgoing(workspace, sender, identity, campaign, compiled, sms_account=account)
