"""/api/v1/campaigns (drafts and audience preview) and /api/v1/analytics/summary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from crm.api.leads import LeadOut
from crm.models import Campaign
from crm.selectors.analytics import summary
from crm.selectors.pagination import MAX_LIMIT, paginate
from crm.services.campaigns import audience_of, create_campaign, delete_campaign, update_campaign
from crm.services.records import get_record

router = Router(tags=["campaigns and analytics"])
Subject = Annotated[str, StringConstraints(max_length=255)]


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    subject: str
    body_template: str
    audience: dict[str, Any]
    status: str
    scheduled_at: datetime | None
    sent_count: int
    delivered_count: int
    opened_count: int
    clicked_count: int
    bounced_count: int
    unsubscribed_count: int
    complained_count: int
    created_at: datetime
    updated_at: datetime


class CampaignIn(Schema):
    name: str
    channel: str = "email"
    subject: Subject = ""
    body_template: str = ""
    audience: dict[str, Any] = {}
    scheduled_at: datetime | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Spring cohort launch",
                    "subject": "Doors open Monday",
                    "body_template": "Hi {{ lead.first_name|default:'there' }}, ...",
                    "audience": {"tag": ["webinar-2026"], "status": "qualified"},
                }
            ]
        },
    )


class CampaignPatch(Schema):
    name: str | None = None
    subject: Subject | None = None
    body_template: str | None = None
    audience: dict[str, Any] | None = None
    scheduled_at: datetime | None = None
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


class SummaryParams(Schema):
    since: datetime | None = None
    until: datetime | None = None
    period: Literal["day", "week", "month"] = "day"


@router.get("/campaigns", response=CampaignPage)
def list_campaigns(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    page = paginate(Campaign.objects.all(), sort="-id", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}


@router.post("/campaigns", response={201: CampaignOut})
def post_campaign(request: HttpRequest, payload: CampaignIn) -> Status:
    return Status(201, create_campaign(actor=acting_user(request), **payload.model_dump()))


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut)
def get_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_record(Campaign, campaign_id)


@router.patch("/campaigns/{int:campaign_id}", response=CampaignOut)
def patch_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Campaign:
    """Edit a draft; campaigns past draft are 409."""
    return update_campaign(
        actor=acting_user(request),
        campaign_id=campaign_id,
        changes=payload.model_dump(exclude_unset=True),
    )


@router.delete("/campaigns/{int:campaign_id}", response={204: None})
def remove_campaign(request: HttpRequest, campaign_id: int) -> Status:
    delete_campaign(actor=acting_user(request), campaign_id=campaign_id)
    return Status(204, None)


@router.get("/campaigns/{int:campaign_id}/audience", response=AudienceOut)
def preview_audience(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    """How many leads the campaign would reach now, and the first few of them."""
    audience = audience_of(get_record(Campaign, campaign_id))
    return {"count": audience.count(), "sample": list(audience.order_by("-created_at")[:5])}


@router.get("/analytics/summary")
def get_summary(request: HttpRequest, params: Query[SummaryParams]) -> dict[str, Any]:
    """Lead counts by period, source, stage and status; conversion rate; message volumes."""
    return summary(since=params.since, until=params.until, period=params.period)
