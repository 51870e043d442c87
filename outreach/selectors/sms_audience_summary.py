"""Before an SMS campaign sends: how many leads of its filter can be texted, why the others
cannot, and the segments it will take against what the plan has left this month."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from crm.models import Lead
from crm.phone_numbers import E164_PATTERN
from crm.selectors.leads import filter_leads
from outreach.errors import WrongChannel
from outreach.models import Campaign
from outreach.selectors.audience import audience_criteria
from outreach.selectors.sms_preview import preview_sms
from project.errors import InvalidInput
from tenants.limits import sms_segments_this_month
from tenants.schemas import current_workspace

# Why a lead the filter matches is not texted, in the order a lead is counted under (each
# lead once, under the first reason that holds).
REASONS = (
    ("opted_out", "opted out"),
    ("not_opted_in", "not opted in"),
    ("no_valid_number", "no valid mobile number"),
    ("undeliverable", "number undeliverable"),
)


@dataclass(frozen=True)
class SmsAudienceSummary:
    textable: int
    matched: int  # every lead the filter matches, textable or not
    excluded: list[tuple[str, str, int]]  # (reason code, label, leads), reasons with none left out
    segments_per_text: int | None  # None: the template has an error (see template_error)
    template_error: str
    total_segments: int | None
    segments_left: int | None  # None: the plan has no monthly limit
    segments_limit: int | None
    segments_used: int

    @property
    def over_limit(self) -> bool:
        return (
            self.segments_left is not None
            and self.total_segments is not None
            and self.total_segments > self.segments_left
        )


def sms_audience_summary(audience: dict[str, Any], template: str) -> SmsAudienceSummary:
    """Count the filter's leads by whether they can be texted (one query), and estimate the
    segments: the textable leads times the segments of the text as the first of them (or a
    sample lead) gets it, opt-out line included."""
    opted_in = Q(sms_consent=Lead.SmsConsent.OPTED_IN)
    valid = Q(phone__regex=E164_PATTERN)
    deliverable = Q(sms_undeliverable_at__isnull=True)
    counts = filter_leads(audience_criteria(audience)).aggregate(
        matched=Count("id"),
        textable=Count("id", filter=opted_in & valid & deliverable),
        opted_out=Count("id", filter=Q(sms_consent=Lead.SmsConsent.OPTED_OUT)),
        not_opted_in=Count("id", filter=Q(sms_consent=Lead.SmsConsent.UNKNOWN)),
        no_valid_number=Count("id", filter=opted_in & ~valid),
        undeliverable=Count("id", filter=opted_in & valid & ~deliverable),
    )
    per_text: int | None
    template_error = ""
    try:
        per_text = preview_sms(template, audience).count.segments if template.strip() else 0
    except InvalidInput as error:
        per_text = None
        template_error = error.details[0]["message"] if error.details else error.message
    workspace = current_workspace()
    limit = workspace.monthly_sms_segment_limit
    used = sms_segments_this_month()
    return SmsAudienceSummary(
        textable=counts["textable"],
        matched=counts["matched"],
        excluded=[(code, label, counts[code]) for code, label in REASONS if counts[code]],
        segments_per_text=per_text,
        template_error=template_error,
        total_segments=None if per_text is None else per_text * counts["textable"],
        segments_left=None if limit is None else max(int(limit) - used, 0),
        segments_limit=None if limit is None else int(limit),
        segments_used=used,
    )


def campaign_sms_summary(campaign: Campaign) -> dict[str, Any]:
    """An SMS campaign before it sends, as the API answers it: the text as its first
    textable lead gets it, its segments, and the audience summary. 409 for an email
    campaign; 422 when the template fails (naming the field)."""
    if campaign.channel != "sms":
        raise WrongChannel("This is an email campaign; its audience is GET .../audience.")
    preview = preview_sms(campaign.body_template, campaign.audience)
    summary = sms_audience_summary(campaign.audience, campaign.body_template)
    return {
        "preview": {
            "lead_id": preview.lead_id,
            "to": preview.to,
            "text": preview.text,
            "characters": preview.count.characters,
            "encoding": preview.count.encoding.value,
            "segments": preview.count.segments,
        },
        "textable": summary.textable,
        "matched": summary.matched,
        "excluded": [
            {"reason": code, "label": label, "leads": leads}
            for code, label, leads in summary.excluded
        ],
        "segments_per_text": summary.segments_per_text,
        "total_segments": summary.total_segments,
        "segments_used": summary.segments_used,
        "segments_limit": summary.segments_limit,
        "segments_left": summary.segments_left,
        "over_limit": summary.over_limit,
    }
