"""An SMS campaign that went out, with its counters and texts written straight into the
database: what the results pages show, without running the engine."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from outreach.models import Campaign

TEXTS = [("delivered", ""), ("delivered", ""), ("failed", "Twilio: landline (30006)")]


def sent_sms_campaign(workspace, *, name: str = "Spring texts") -> int:
    """An SMS campaign to 3 leads: 2 delivered (2 segments each), 1 to a landline; one lead
    opted out after it and one replied."""
    now = timezone.now()
    with schema_context(workspace.schema_name):
        campaign = Campaign.objects.create(
            name=name,
            channel="sms",
            body_template="Hi {{ lead.first_name | default: 'there' }}, doors open Monday",
            audience={},
            status=Campaign.Status.SENT,
            audience_size=3,
            frozen_at=now,
            started_at=now,
            finished_at=now,
            sent_count=2,
            delivered_count=2,
            failed_count=1,
            unsubscribed_count=1,
            replied_count=1,
            segments_used=4,
        )
        for i, (status, error) in enumerate(TEXTS):
            lead = Lead.objects.create(first_name=f"Texter{i}", phone=f"+1415555010{i}")
            Message.objects.create(
                lead=lead,
                campaign_id=campaign.pk,
                channel="sms",
                direction="outbound",
                status=status,
                to_phone=lead.phone,
                body=f"Hi Texter{i}, doors open Monday\nReply STOP to opt out",
                segments=2 if status == "delivered" else 0,
                error=error,
                error_code=30006 if error else 0,
                sent_at=now if status == "delivered" else None,
                delivered_at=now if status == "delivered" else None,
            )
    return campaign.pk
