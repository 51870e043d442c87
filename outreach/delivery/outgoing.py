"""What a sender delivers: one campaign's messages (broadcast stream, rendered per lead with
an unsubscribe footer and headers) or a workspace's one-off emails (transactional stream,
rendered when written), and the email each claimed message becomes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.html import linebreaks

from crm.models import Message
from mail.gateway import (
    Email,
    broadcast_stream,
    transactional_stream,
)
from outreach.delivery.transports import BATCH_METADATA_KEY, Transport, transport_for
from outreach.lifecycle import direct_pending_id
from outreach.mail_templates import CompiledEmail, RenderedEmail, Sender, compiled_for
from outreach.models import Campaign
from outreach.selectors.email_settings import sender_of
from outreach.selectors.sending_identity import SenderIdentity, sending_identity
from outreach.unsubscribe_links import unsubscribe_url
from tenants.models import Workspace
from tenants.schemas import current_workspace


@dataclass(frozen=True)
class Claimed:
    """A message claimed for one send attempt, with what its email is made of."""

    message_id: int
    lead_id: int
    email: str
    subject: str
    body: str
    lead: dict[str, Any]


@dataclass
class Outgoing:
    """What is being delivered: one campaign's messages, or the workspace's one-off emails."""

    workspace: Workspace
    sender: Sender
    identity: SenderIdentity
    campaign: Campaign | None
    compiled: CompiledEmail | None = None
    direct_channel: str = "email"  # the channel of one-off messages (campaign None)

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
        return Outgoing(workspace, sender, identity, None, direct_channel=channel)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    compiled = compiled_for(
        (workspace.schema_name, campaign.pk, campaign.frozen_at),
        subject=campaign.subject,
        text=campaign.body_template,
        html=campaign.html_template,
    )
    return Outgoing(workspace, sender, identity, campaign, compiled)
