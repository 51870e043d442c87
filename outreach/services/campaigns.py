"""Campaign drafts: their templates (checked when saved) and their audience."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.selectors.records import get_record
from crm.services.records import create_record, delete_record, update_record
from outreach.delivery import has_unsettled
from outreach.errors import CampaignInFlight, CampaignNotEditable
from outreach.lifecycle import can_delete, can_edit
from outreach.mail_templates import compile_template
from outreach.models import Campaign
from outreach.selectors.audience import clean_audience
from project.errors import InvalidInput, field_error

CAMPAIGN_FIELDS = [
    "name",
    "channel",
    "subject",
    "body_template",
    "html_template",
    "audience",
    "scheduled_at",
]
TEMPLATE_FIELDS = ("subject", "body_template", "html_template")
CHANNELS = ("email", "sms")
SMS_TEMPLATE_MAX = 1600  # Twilio refuses a longer body (error 21617)


def clean_campaign(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, Any]]()
    if isinstance(current, Campaign) and not can_edit(current):
        raise CampaignNotEditable("Only draft campaigns can be edited.")
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"] or len(cleaned["name"]) > 200:
            errors.append(field_error("name", "invalid_length", "Give 1 to 200 characters."))
    channel = cleaned.get("channel", getattr(current, "channel", "email"))
    if channel not in CHANNELS:
        errors.append(
            field_error("channel", "invalid_choice", "A campaign sends email or SMS ('sms').")
        )
    elif channel == "sms":
        html = cleaned.get("html_template", getattr(current, "html_template", ""))
        if html:
            errors.append(
                field_error(
                    "html_template", "not_for_sms", "A text has no HTML part; leave it out."
                )
            )
        if "subject" in cleaned:
            cleaned["subject"] = ""  # a text has no subject
        if len(str(cleaned.get("body_template") or "")) > SMS_TEMPLATE_MAX:
            errors.append(
                field_error(
                    "body_template",
                    "too_long",
                    f"A text takes at most {SMS_TEMPLATE_MAX:,} characters (10 segments).",
                )
            )
    if cleaned.get("audience") is not None:
        try:
            cleaned["audience"] = clean_audience(cleaned["audience"])
        except InvalidInput as error:
            errors += error.details
    for field in TEMPLATE_FIELDS:
        if cleaned.get(field):
            try:
                compile_template(str(cleaned[field]), field=field)
            except InvalidInput as error:
                errors += error.details
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


def create_campaign(*, actor: User | None, **values: Any) -> Campaign:
    """A draft campaign; templates with a syntax error are refused with their line (422)."""
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
    """Change a draft (409 once it is scheduled or sent)."""
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
    """Delete a campaign that is not on its way out (409 while scheduled, sending, paused,
    or cancelled with a batch still in flight)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is not None and (not can_delete(campaign) or has_unsettled(campaign)):
        raise CampaignInFlight(
            f"This campaign is {campaign.status} with email on its way; cancel it and wait "
            "for the batch in flight to settle before deleting it."
        )
    delete_record(
        Campaign,
        actor=actor,
        action=Action.MANAGE_CAMPAIGNS,
        record_id=campaign_id,
        fields=["name", "status"],
    )


COPY_PREFIX = "Copy of "
NAME_MAX = 200


def copy_name(name: str) -> str:
    """“Copy of <name>”, cut to fit the 200 characters a name may have."""
    copied = f"{COPY_PREFIX}{name}"
    return copied if len(copied) <= NAME_MAX else copied[: NAME_MAX - 1].rstrip() + "…"


@transaction.atomic
def duplicate_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """A new draft with the campaign's content and audience, named “Copy of …”, whatever
    the original's state (404 for an unknown id; admins and owners only)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    original = get_record(Campaign, campaign_id)
    return create_campaign(
        actor=actor,
        name=copy_name(original.name),
        channel=original.channel,
        subject=original.subject,
        body_template=original.body_template,
        html_template=original.html_template,
        audience=dict(original.audience or {}),
    )
