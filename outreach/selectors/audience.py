"""Who a campaign reaches: a saved filter over leads, minus every suppressed address."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic import ValidationError as PydanticValidationError

from crm.models import Lead
from crm.selectors.leads import LeadFilter, filter_leads
from crm.selectors.sms_audience import sms_audience_leads
from outreach.models import Suppression
from project.errors import InvalidInput, field_error
from project.inputs import StorableDatetime

Scalar = str | StrictInt | float | StrictBool | None


class AudienceSpec(BaseModel):
    """The criteria a campaign's audience may use; all of them must hold."""

    model_config = ConfigDict(extra="forbid")

    tag: list[str] | None = Field(None, max_length=50)
    source: Lead.Source | None = None
    status: Lead.Status | None = None
    stage: StrictInt | None = None
    owner: StrictInt | None = None
    has_email: StrictBool | None = None
    q: str | None = Field(None, max_length=200)
    created_after: StorableDatetime | None = None
    created_before: StorableDatetime | None = None
    custom_fields: dict[str, Scalar] | None = None


AUDIENCE_KEYS = frozenset(AudienceSpec.model_fields)


def clean_audience(audience: Any) -> dict[str, Any]:
    """The audience as stored (JSON): checked, with empty criteria dropped.

    Raises InvalidInput naming each bad criterion (`audience.<name>`).
    """
    if not isinstance(audience, dict):
        raise InvalidInput(
            details=[field_error("audience", "invalid_type", "Give the criteria as an object.")]
        )
    if isinstance(audience.get("tag"), str):
        audience = {**audience, "tag": [audience["tag"]]}
    try:
        spec = AudienceSpec.model_validate(audience)
    except PydanticValidationError as error:
        details = []
        for problem in error.errors():
            location = ".".join(str(part) for part in problem["loc"])
            code = "unknown_criteria" if problem["type"] == "extra_forbidden" else problem["type"]
            message = (
                f"Unknown criterion; use one of: {', '.join(sorted(AUDIENCE_KEYS))}."
                if code == "unknown_criteria"
                else problem["msg"]
            )
            details.append(field_error(f"audience.{location}", code, message))
        raise InvalidInput(details=details) from None
    cleaned = spec.model_dump(mode="json", exclude_none=True)
    unknown = _unknown_references(cleaned)
    if unknown:
        raise InvalidInput(details=unknown)
    if "tag" in cleaned:
        cleaned["tag"] = sorted({tag.strip().lower() for tag in cleaned["tag"] if tag.strip()})
    return {key: value for key, value in cleaned.items() if value not in ([], {}, "")}


def _unknown_references(audience: dict[str, Any]) -> list[dict[str, str]]:
    """Criteria naming a stage, owner or custom field this workspace does not have (they
    would quietly match nobody)."""
    from accounts.models import User
    from crm.models import CustomFieldDefinition, PipelineStage

    problems = []
    if "stage" in audience and not PipelineStage.objects.filter(pk=audience["stage"]).exists():
        problems.append(
            field_error("audience.stage", "unknown_stage", "No pipeline stage with this id.")
        )
    if "owner" in audience and not User.objects.filter(pk=audience["owner"]).exists():
        problems.append(field_error("audience.owner", "unknown_owner", "No member with this id."))
    defined = set(CustomFieldDefinition.objects.values_list("key", flat=True))
    problems += [
        field_error(
            f"audience.custom_fields.{key}", "unknown_field", "Define this custom field first."
        )
        for key in sorted(set(audience.get("custom_fields") or {}) - defined)
    ]
    return problems


def audience_criteria(audience: dict[str, Any]) -> LeadFilter:
    spec = AudienceSpec.model_validate(
        {key: value for key, value in audience.items() if key in AUDIENCE_KEYS}
    )
    values = spec.model_dump(exclude_none=True)
    for choice in ("source", "status"):
        if choice in values:
            values[choice] = str(values[choice].value)
    return LeadFilter(**values)


def suppressed_address() -> Exists:
    """True for a lead whose address is on the workspace's suppression list."""
    return Exists(
        Suppression.objects.alias(email_lower=Lower("email")).filter(
            email_lower=Lower(OuterRef("email"))
        )
    )


def reachable_leads() -> QuerySet[Lead]:
    """Leads that may get marketing email at all: an address, not unsubscribed or suppressed."""
    return Lead.objects.filter(email__isnull=False, unsubscribed_at__isnull=True).exclude(
        suppressed_address()
    )


def audience_leads(audience: dict[str, Any]) -> QuerySet[Lead]:
    """Who the audience reaches now: its filter, minus anyone suppressed or unsubscribed."""
    return filter_leads(audience_criteria(audience)) & reachable_leads()


def campaign_audience(channel: str, audience: dict[str, Any]) -> QuerySet[Lead]:
    """Who a campaign of this channel reaches now: email, the reachable leads of its filter;
    SMS, the textable ones (opted in, a valid number not marked undeliverable)."""
    if channel == "sms":
        return sms_audience_leads(audience_criteria(audience))
    return audience_leads(audience)


def suppressions_with(email: str) -> QuerySet[Suppression]:
    """This address's suppressions, ignoring case (the unique index on lower(email))."""
    return Suppression.objects.alias(email_lower=Lower("email")).filter(
        email_lower=email.strip().lower()
    )


def leads_with(email: str) -> QuerySet[Lead]:
    """The lead with this address, ignoring case (the unique index on lower(email))."""
    return Lead.objects.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


def is_suppressed(email: str) -> bool:
    return suppressions_with(email).exists()


def suppressions(*, reason: str | None = None) -> QuerySet[Suppression]:
    found = Suppression.objects.all()
    return found.filter(reason=reason) if reason else found
