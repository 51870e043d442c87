"""What an SMS campaign's sending looks like from outside the engine: the segments one text
costs (the estimate booked when the audience is frozen) and the texts waiting for the quiet
hours of their zone to end (the campaign page's "N texts wait for 08:00")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from crm.models import Message
from outreach.mail_templates import compile_template, lead_fields, render_text
from outreach.models import Campaign
from outreach.quiet_hours import is_open, next_opening
from outreach.selectors.audience import campaign_audience
from outreach.selectors.email_settings import sender_of
from outreach.sms_segments import count_segments
from project.errors import InvalidInput
from sms.compose import with_opt_out_line
from tenants.schemas import current_workspace


def segments_per_text(campaign: Campaign) -> int:
    """The segments of the campaign's text as one lead of its audience gets it, opt-out line
    and all: the estimate booked per text at freeze (put right per text when it is sent)."""
    lead = campaign_audience("sms", campaign.audience).select_related("stage").first()
    try:
        template = compile_template(campaign.body_template, field="body_template")
        sender, _ = sender_of(current_workspace())
        text = render_text(template, lead=lead_fields(lead) if lead else {}, sender=sender)
    except InvalidInput:
        text = campaign.body_template
    return count_segments(with_opt_out_line(text)).segments


@dataclass(frozen=True)
class QuietHoursWait:
    """Texts of a campaign queued outside their zone's sending hours right now."""

    count: int
    opens_at: datetime | None  # when the earliest of them may go (UTC); None: none wait
    from_hour: int  # the local hour they wait for (CRM_SMS_SENDING_FROM_HOUR)

    @property
    def local_opening(self) -> str:
        return f"{self.from_hour:02d}:00"


def waiting_for_quiet_hours(campaign: Campaign, *, now: datetime | None = None) -> QuietHoursWait:
    """How many of the campaign's queued texts wait for their morning, and when the first of
    them may go. Texts whose zone is open now are not waiting (the sender takes them)."""
    now = now or timezone.now()
    from_hour = settings.CRM_SMS_SENDING_FROM_HOUR
    if campaign.channel != "sms":
        return QuietHoursWait(0, None, from_hour)
    by_zone = (
        Message.objects.filter(campaign_id=campaign.pk, status=Message.Status.QUEUED)
        .values("time_zone")
        .annotate(count=Count("id"))
    )
    waiting = {
        row["time_zone"]: row["count"]
        for row in by_zone
        if row["time_zone"] and not is_open(row["time_zone"], now)
    }
    if not waiting:
        return QuietHoursWait(0, None, from_hour)
    opens_at = min(next_opening(zone, now) for zone in waiting)
    return QuietHoursWait(sum(waiting.values()), opens_at, from_hour)
