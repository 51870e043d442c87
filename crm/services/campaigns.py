"""Campaign drafts and their audience (sending arrives with the email issue)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from accounts.models import User
from accounts.permissions import Action
from crm.models import Campaign, Lead
from crm.selectors.leads import LeadFilter, filter_leads
from crm.services.records import create_record, delete_record, update_record
from project.errors import Conflict, InvalidInput, field_error

CAMPAIGN_FIELDS = ["name", "channel", "subject", "body_template", "audience", "scheduled_at"]
AUDIENCE_KEYS = {
    "tag",
    "source",
    "status",
    "stage",
    "owner",
    "has_email",
    "q",
    "created_after",
    "created_before",
}


def audience_filter(audience: dict[str, Any]) -> LeadFilter:
    return LeadFilter(**{key: value for key, value in audience.items() if key in AUDIENCE_KEYS})


def audience_of(campaign: Campaign) -> QuerySet[Lead]:
    """Who would receive it: the saved filter, minus anyone without email or unsubscribed."""
    return filter_leads(audience_filter(campaign.audience)).filter(
        email__isnull=False, unsubscribed_at__isnull=True
    )


def clean_campaign(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    if current is not None and getattr(current, "status", "") != Campaign.Status.DRAFT:
        raise Conflict("Only draft campaigns can be edited.")
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 200:
            errors.append(field_error("name", "invalid_length", "Give 1 to 200 characters."))
    if "channel" in cleaned and cleaned["channel"] != "email":
        errors.append(field_error("channel", "invalid_choice", "Campaigns send email."))
    audience = cleaned.get("audience")
    if audience is not None:
        unknown = set(audience) - AUDIENCE_KEYS
        if unknown:
            errors.append(
                field_error(
                    "audience",
                    "unknown_criteria",
                    f"Unknown criteria: {', '.join(sorted(unknown))}.",
                )
            )
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


def create_campaign(*, actor: User | None, **values: Any) -> Campaign:
    return create_record(
        Campaign,
        actor=actor,
        action=Action.MANAGE_CAMPAIGNS,
        values=values,
        clean=clean_campaign,
        fields=CAMPAIGN_FIELDS,
        conflict_message="Campaign conflict.",
    )


def update_campaign(*, actor: User | None, campaign_id: int, changes: dict[str, Any]) -> Campaign:
    return update_record(
        Campaign,
        actor=actor,
        action=Action.MANAGE_CAMPAIGNS,
        record_id=campaign_id,
        changes=changes,
        clean=clean_campaign,
        fields=CAMPAIGN_FIELDS,
        conflict_message="Campaign conflict.",
    )


def delete_campaign(*, actor: User | None, campaign_id: int) -> None:
    delete_record(
        Campaign,
        actor=actor,
        action=Action.MANAGE_CAMPAIGNS,
        record_id=campaign_id,
        fields=["name", "status"],
    )
