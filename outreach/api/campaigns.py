"""/api/v1/campaigns: drafts, audience, preview and test send; send, schedule, pause,
resume and cancel; progress, stats and every message's fate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from crm.api.leads import LeadOut
from crm.models import Message
from crm.selectors.pagination import MAX_LIMIT, paginate
from crm.selectors.records import get_record
from outreach.models import Campaign
from outreach.selectors.audience import audience_leads, clean_audience
from outreach.selectors.campaigns import (
    audience_preview,
    campaign_messages,
    campaign_stats,
    campaigns,
    render_preview,
)
from outreach.selectors.sms_audience_summary import campaign_sms_summary
from outreach.services.campaign_sending import (
    cancel_campaign,
    pause_campaign,
    resume_campaign,
    schedule_campaign,
    send_campaign,
    send_campaign_test,
)
from outreach.services.campaigns import (
    create_campaign,
    delete_campaign,
    duplicate_campaign,
    update_campaign,
)
from outreach.services.sms_test_send import send_campaign_test_sms
from project.inputs import Omittable, StorableDatetime

router = Router(tags=["campaigns"])
audiences_router = Router(tags=["campaigns"])
Subject = Annotated[str, StringConstraints(max_length=255)]


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    subject: str
    body_template: str
    html_template: str
    audience: dict[str, Any]
    status: str
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    audience_size: int
    sent_count: int
    delivered_count: int
    opened_count: int
    clicked_count: int
    bounced_count: int
    unsubscribed_count: int
    complained_count: int
    failed_count: int
    suppressed_count: int
    replied_count: int  # SMS: replies other than STOP, START or HELP
    segments_used: int  # SMS: segments Twilio billed
    last_error: str
    created_at: datetime
    updated_at: datetime


class CampaignIn(Schema):
    name: str
    channel: str = "email"
    subject: Subject = ""
    body_template: str = ""
    html_template: str = ""
    audience: dict[str, Any] = {}
    scheduled_at: StorableDatetime | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Spring cohort launch",
                    "subject": "{{ lead.first_name | default: 'Hi' }}, doors open Monday",
                    "body_template": "Hi {{ lead.first_name | default: 'there' }},\n\n"
                    "The spring cohort of {{ workspace.name }} opens on Monday.",
                    "html_template": "<p>Hi {{ lead.first_name | default: 'there' }},</p>",
                    "audience": {
                        "tag": ["webinar-2026"],
                        "status": "qualified",
                        "custom_fields": {"plan": "pro"},
                    },
                }
            ]
        },
    )


class CampaignPatch(Schema):
    name: Omittable[str] = None
    channel: Omittable[str] = None  # a draft only: the channel is fixed once it leaves draft
    subject: Omittable[Subject] = None
    body_template: Omittable[str] = None
    html_template: Omittable[str] = None
    audience: Omittable[dict[str, Any]] = None
    scheduled_at: StorableDatetime | None = None
    model_config = ConfigDict(extra="forbid")


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class CampaignPage(Schema):
    items: list[CampaignOut]
    next: str | None


class AudienceOut(Schema):
    count: int
    sample: list[LeadOut]


class SmsPreviewOut(Schema):
    lead_id: int | None  # None: a sample lead
    to: str
    text: str  # as sent: rendered, with the opt-out line
    characters: int
    encoding: str  # GSM-7 or UCS-2
    segments: int


class ExcludedOut(Schema):
    reason: str  # opted_out | not_opted_in | no_valid_number | undeliverable
    label: str
    leads: int


class SmsSummaryOut(Schema):
    preview: SmsPreviewOut
    textable: int
    matched: int
    excluded: list[ExcludedOut]
    segments_per_text: int | None
    total_segments: int | None
    segments_used: int  # this month, by the workspace
    segments_limit: int | None  # None: no monthly limit
    segments_left: int | None
    over_limit: bool


class AudienceIn(Schema):
    audience: dict[str, Any]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"audience": {"tag": ["webinar"], "status": "new"}}]},
    )


class AudienceCountOut(Schema):
    count: int
    audience: dict[str, Any]


class ScheduleIn(Schema):
    scheduled_at: StorableDatetime
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"scheduled_at": "2026-12-01T09:00:00Z"}]}
    )


class PreviewParams(Schema):
    lead: int | None = None


class PreviewOut(Schema):
    lead_id: int | None
    to: str
    subject: str
    text_body: str
    html_body: str


class TestSendIn(Schema):
    lead: int | None = None
    model_config = ConfigDict(extra="forbid")


class TestSendOut(Schema):
    to: str


class TestSmsIn(Schema):
    to: Annotated[str, StringConstraints(max_length=40)]
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"to": "+14155550123"}]}
    )


class ProgressOut(Schema):
    queued: int
    sending: int
    accepted: int
    failed: int
    suppressed: int
    cancelled: int
    percent: float
    messages_per_second: float


class CountsOut(Schema):
    sent: int
    delivered: int
    opened: int
    clicked: int
    bounced: int
    unsubscribed: int
    complained: int
    failed: int
    suppressed: int
    replied: int
    segments_used: int


class RatesOut(Schema):
    delivery_rate: float
    open_rate: float
    click_rate: float
    bounce_rate: float
    unsubscribe_rate: float
    complaint_rate: float
    failure_rate: float  # failed over failed + sent
    reply_rate: float


class RevenueOut(Schema):
    """Net revenue (paid less refunded) of the payments credited to the campaign in one
    currency; amounts in the currency's smallest unit, `*_decimal` as decimal text."""

    currency: str
    amount: int
    amount_decimal: str
    payments: int
    per_recipient: int
    per_recipient_decimal: str


class StatsOut(Schema):
    id: int
    status: str
    audience_size: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str
    progress: ProgressOut
    counts: CountsOut
    rates: RatesOut
    revenue: list[RevenueOut]


class CampaignMessageOut(Schema):
    id: int
    lead: int = Field(..., alias="lead_id")
    channel: str
    to_email: str
    to_phone: str
    segments: int
    subject: str
    status: str
    provider_id: str
    attempts: int
    error_code: int
    error: str
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None
    unsubscribed_at: datetime | None
    open_count: int
    click_count: int


class MessageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None
    status: Message.Status | None = None


class CampaignMessagePage(Schema):
    items: list[CampaignMessageOut]
    next: str | None


@router.get("", response=CampaignPage)
def list_campaigns(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    page = paginate(campaigns(), sort="-id", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}


@router.post("", response={201: CampaignOut})
def post_campaign(request: HttpRequest, payload: CampaignIn) -> Status:
    return Status(201, create_campaign(actor=acting_user(request), **payload.model_dump()))


@router.get("/{int:campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_record(Campaign, campaign_id)


@router.patch("/{int:campaign_id}", response=CampaignOut)
def patch_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Campaign:
    """Edit a draft; campaigns past draft are 409."""
    return update_campaign(
        actor=acting_user(request),
        campaign_id=campaign_id,
        changes=payload.model_dump(exclude_unset=True),
    )


@router.delete("/{int:campaign_id}", response={204: None})
def remove_campaign(request: HttpRequest, campaign_id: int) -> Status:
    delete_campaign(actor=acting_user(request), campaign_id=campaign_id)
    return Status(204, None)


@router.post("/{int:campaign_id}/duplicate", response={201: CampaignOut})
def duplicate(request: HttpRequest, campaign_id: int) -> Status:
    """A new draft with this campaign's subject, text, HTML and audience, named "Copy of …"
    (from a campaign in any state: how a sent campaign is sent again, changed)."""
    return Status(201, duplicate_campaign(actor=acting_user(request), campaign_id=campaign_id))


@router.get("/{int:campaign_id}/audience", response=AudienceOut)
def preview_audience(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """How many leads the campaign would reach now, and the first few of them."""
    return audience_preview(get_record(Campaign, campaign_id))


@router.get("/{int:campaign_id}/sms-summary", response=SmsSummaryOut)
def sms_summary(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """An SMS campaign before it sends: the text as its first textable lead (or a sample
    lead) gets it, opt-out line included, with its segments; how many leads can be texted,
    how many the filter matches that cannot and why; the estimated segments against what
    the plan has left this month. 409 for an email campaign."""
    return campaign_sms_summary(get_record(Campaign, campaign_id))


@audiences_router.post("/count", response=AudienceCountOut)
def count_audience(request: HttpRequest, payload: AudienceIn) -> dict[str, Any]:
    """Live count of the leads a set of criteria reaches now (for an audience being edited);
    unsubscribed, bounced and complained leads are never counted."""
    audience = clean_audience(payload.audience)
    return {"count": audience_leads(audience).count(), "audience": audience}


@router.get("/{int:campaign_id}/preview", response=PreviewOut)
def preview_campaign(
    request: HttpRequest, campaign_id: int, params: Query[PreviewParams]
) -> dict[str, Any]:
    """The email as `lead` (default: the audience's first lead) would get it."""
    return render_preview(get_record(Campaign, campaign_id), lead_id=params.lead)


@router.post("/{int:campaign_id}/test", response=TestSendOut)
def test_campaign(request: HttpRequest, campaign_id: int, payload: TestSendIn) -> dict[str, str]:
    """Send the email, as `lead` would get it, to yourself (marked [Test])."""
    return {
        "to": send_campaign_test(
            actor=acting_user(request), campaign_id=campaign_id, lead_id=payload.lead
        )
    }


@router.post("/{int:campaign_id}/test-sms", response=TestSendOut)
def test_campaign_sms(request: HttpRequest, campaign_id: int, payload: TestSmsIn) -> dict[str, str]:
    """Text an SMS campaign, as its first textable lead would get it (opt-out line included,
    marked [Test]), to `to` now. 422 invalid_phone, 409 without a connected Twilio account
    (or for an email campaign), 422 sms_refused when Twilio refuses it, 503 when it does
    not answer. Nothing is counted on leads or against the plan."""
    return {
        "to": send_campaign_test_sms(
            actor=acting_user(request), campaign_id=campaign_id, to=payload.to
        )
    }


@router.post("/{int:campaign_id}/send", response={202: CampaignOut})
def send(request: HttpRequest, campaign_id: int) -> Status:
    """Send now: the audience is frozen and the email goes out in the background; follow it
    at /campaigns/{id}/stats. 409 says what is missing (postal address, audience...)."""
    return Status(202, send_campaign(actor=acting_user(request), campaign_id=campaign_id))


@router.post("/{int:campaign_id}/schedule", response=CampaignOut)
def schedule(request: HttpRequest, campaign_id: int, payload: ScheduleIn) -> Campaign:
    """Send at `scheduled_at` (the audience is taken as it is then)."""
    return schedule_campaign(
        actor=acting_user(request), campaign_id=campaign_id, scheduled_at=payload.scheduled_at
    )


@router.post("/{int:campaign_id}/pause", response=CampaignOut)
def pause(request: HttpRequest, campaign_id: int) -> Campaign:
    """Stop after the batch in flight; resume carries on where it stopped."""
    return pause_campaign(actor=acting_user(request), campaign_id=campaign_id)


@router.post("/{int:campaign_id}/resume", response=CampaignOut)
def resume(request: HttpRequest, campaign_id: int) -> Campaign:
    return resume_campaign(actor=acting_user(request), campaign_id=campaign_id)


@router.post("/{int:campaign_id}/cancel", response=CampaignOut)
def cancel(request: HttpRequest, campaign_id: int) -> Campaign:
    """Stop for good; what was not sent yet never is."""
    return cancel_campaign(actor=acting_user(request), campaign_id=campaign_id)


@router.get("/{int:campaign_id}/stats", response=StatsOut)
def stats(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """Progress while it sends and results after: sent, delivered, opened, clicked, bounced,
    unsubscribed and complaint counts and rates, and `revenue`: per currency, the net
    revenue of the payments credited to the campaign (the last campaign whose email the
    lead clicked within the workspace's attribution window) and that per recipient sent."""
    return campaign_stats(get_record(Campaign, campaign_id))


@router.get("/{int:campaign_id}/messages", response=CampaignMessagePage)
def list_campaign_messages(
    request: HttpRequest, campaign_id: int, params: Query[MessageParams]
) -> dict[str, Any]:
    """Every recipient's message and its fate; filter by `status`."""
    campaign = get_record(Campaign, campaign_id)
    page = paginate(
        campaign_messages(campaign, status=params.status),
        sort="id",
        limit=params.limit,
        cursor=params.cursor,
    )
    return {"items": page.items, "next": page.next}
