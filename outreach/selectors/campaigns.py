"""Reading a campaign's progress, its messages, and how its email looks for one lead."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.models import Lead, Message
from outreach.mail_templates import SAMPLE_LEAD, compile_email, lead_fields
from outreach.models import Campaign
from outreach.revenue import campaign_revenue
from outreach.selectors.audience import audience_leads, campaign_audience
from outreach.unsubscribe_links import PATH as UNSUBSCRIBE_PATH
from project.errors import NotFound
from tenants.schemas import current_workspace

ACCEPTED = (
    Message.Status.SENT,
    Message.Status.DELIVERED,
    Message.Status.OPENED,
    Message.Status.CLICKED,
    Message.Status.BOUNCED,
)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def message_counts(campaign: Campaign) -> dict[str, int]:
    """How many of the campaign's messages are in each status (statuses with none left out)."""
    return dict(
        campaign.messages.order_by()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )


def campaign_stats(campaign: Campaign) -> dict[str, Any]:
    """Progress while it sends (messages by state) and its results (counts and rates)."""
    by_status = message_counts(campaign)
    accepted = sum(by_status.get(status, 0) for status in ACCEPTED)
    queued, sending = by_status.get("queued", 0), by_status.get("sending", 0)
    settled = campaign.audience_size - queued - sending
    elapsed = None
    if campaign.started_at:
        end = campaign.finished_at or timezone.now()
        elapsed = max((end - campaign.started_at).total_seconds(), 0.001)
    sent = campaign.sent_count
    return {
        "id": campaign.pk,
        "status": campaign.status,
        "audience_size": campaign.audience_size,
        "scheduled_at": campaign.scheduled_at,
        "started_at": campaign.started_at,
        "finished_at": campaign.finished_at,
        "last_error": campaign.last_error,
        "progress": {
            "queued": queued,
            "sending": sending,
            "accepted": accepted,
            "failed": by_status.get("failed", 0),
            "suppressed": by_status.get("suppressed", 0),
            "cancelled": by_status.get("cancelled", 0),
            "percent": round(100 * settled / campaign.audience_size, 1)
            if campaign.audience_size and campaign.frozen_at
            else (100.0 if campaign.status == Campaign.Status.SENT else 0.0),
            "messages_per_second": round(accepted / elapsed, 1) if elapsed else 0.0,
        },
        "counts": {
            "sent": sent,
            "delivered": campaign.delivered_count,
            "opened": campaign.opened_count,
            "clicked": campaign.clicked_count,
            "bounced": campaign.bounced_count,
            "unsubscribed": campaign.unsubscribed_count,
            "complained": campaign.complained_count,
            "failed": campaign.failed_count,
            "suppressed": campaign.suppressed_count,
            "replied": campaign.replied_count,
            "segments_used": campaign.segments_used,
        },
        "rates": {
            "delivery_rate": _rate(campaign.delivered_count, sent),
            "open_rate": _rate(campaign.opened_count, sent),
            "click_rate": _rate(campaign.clicked_count, sent),
            "bounce_rate": _rate(campaign.bounced_count, sent),
            "unsubscribe_rate": _rate(campaign.unsubscribed_count, sent),
            "complaint_rate": _rate(campaign.complained_count, sent),
            "failure_rate": _rate(campaign.failed_count, sent + campaign.failed_count),
            "reply_rate": _rate(campaign.replied_count, sent),
        },
        # Net revenue of the payments credited to it, per currency, and per recipient sent.
        "revenue": campaign_revenue(campaign.pk, recipients=sent) if sent else [],
    }


def campaign_messages(campaign: Campaign, *, status: str | None = None) -> QuerySet[Message]:
    """The campaign's messages, each with how many times it was claimed for sending."""
    messages = Message.objects.filter(campaign_id=campaign.pk).annotate(
        attempts=Coalesce("delivery__attempts", 0)
    )
    if status:
        messages = messages.filter(status=status)
    return messages


def preview_lead(campaign: Campaign, lead_id: int | None) -> dict[str, Any]:
    """The lead to preview with: the one asked for, else the audience's first, else a sample."""
    if lead_id is not None:
        lead = Lead.objects.select_related("stage").filter(pk=lead_id).first()
        if lead is None:
            raise NotFound("No lead with this id.")
        return {"id": lead.pk, **lead_fields(lead)}
    first = audience_leads(campaign.audience).select_related("stage").order_by("id").first()
    if first is not None:
        return {"id": first.pk, **lead_fields(first)}
    return {"id": None, **SAMPLE_LEAD}


def render_preview(campaign: Campaign, *, lead_id: int | None = None) -> dict[str, Any]:
    """The email as one lead would get it (footer and all; its unsubscribe link is inert)."""
    from outreach.selectors.email_settings import sender_of

    lead = preview_lead(campaign, lead_id)
    workspace = current_workspace()
    sender, _ = sender_of(workspace)
    compiled = compile_email(
        subject=campaign.subject, text=campaign.body_template, html=campaign.html_template
    )
    rendered = compiled.render(
        lead=lead, sender=sender, unsubscribe_url=f"{workspace.url}{UNSUBSCRIBE_PATH}preview/"
    )
    return {
        "lead_id": lead["id"],
        "to": lead["email"],
        "subject": rendered.subject,
        "text_body": rendered.text_body,
        "html_body": rendered.html_body,
    }


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.all()


def audience_preview(campaign: Campaign, *, sample: int = 5) -> dict[str, Any]:
    """How many leads the campaign would reach now (for SMS, those who can be texted), and
    the newest few of them."""
    audience = campaign_audience(campaign.channel, campaign.audience)
    return {"count": audience.count(), "sample": list(audience.order_by("-created_at")[:sample])}
