"""Creating, changing and deleting leads; every change writes its event in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.errors import LeadEmailTaken
from crm.events import RecordEvent
from crm.lead_fields import EDITABLE_FIELDS, PLAIN_TEXT_FIELDS
from crm.models import CustomFieldDefinition, Lead, PipelineStage
from crm.phone_numbers import UnusablePhoneNumber, normalise_phone
from crm.selectors.leads import get_lead
from crm.services.events import diff, record_event, snapshot
from crm.services.tag_catalogue import forget_unused_tags, remember_tags
from project.errors import InvalidInput, NotFound, field_error
from tenants.limits import check_leads
from tenants.time_zones import is_time_zone

MAX_TAGS = 50
# Stamped by the service, not sent: written to the event beside the state they go with.
SMS_CONSENT_TIMES = ("sms_consent_at", "sms_opted_out_at")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise and validate the fields given; raise InvalidInput naming each bad one."""
    errors: list[dict[str, str]] = []
    cleaned = dict(values)
    for name in PLAIN_TEXT_FIELDS:
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if "email" in cleaned:
        email = (cleaned["email"] or "").strip()
        cleaned["email"] = email or None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(
                    field_error(
                        "email",
                        "invalid_email",
                        "Enter a valid email address, like you@example.com.",
                    )
                )
    if cleaned.get("phone"):
        try:
            cleaned["phone"] = normalise_phone(cleaned["phone"])
        except UnusablePhoneNumber as error:
            errors.append(field_error("phone", "invalid_phone", str(error)))
    errors += sms_consent_errors(cleaned)
    if cleaned.get("time_zone") and not is_time_zone(cleaned["time_zone"]):
        errors.append(
            field_error(
                "time_zone",
                "invalid_time_zone",
                "Give an IANA time zone such as America/New_York or Europe/London, "
                "or leave it empty to go by the phone number.",
            )
        )
    if "source" in cleaned and cleaned["source"] not in Lead.Source.values:
        errors.append(
            field_error("source", "invalid_choice", f"Use one of: {', '.join(Lead.Source.values)}.")
        )
    if "status" in cleaned and cleaned["status"] not in Lead.Status.values:
        errors.append(
            field_error("status", "invalid_choice", f"Use one of: {', '.join(Lead.Status.values)}.")
        )
    if "tags" in cleaned:
        tags = sorted(
            {str(tag).strip().lower() for tag in cleaned["tags"] or [] if str(tag).strip()}
        )
        if len(tags) > MAX_TAGS or any(len(tag) > 50 for tag in tags):
            errors.append(
                field_error(
                    "tags", "invalid_tags", f"Use at most {MAX_TAGS} tags of up to 50 characters."
                )
            )
        cleaned["tags"] = tags
    if "owner" in cleaned and cleaned["owner"] is not None:
        owner = User.objects.filter(pk=cleaned["owner"], is_active=True).first()
        if owner is None:
            errors.append(field_error("owner", "unknown_owner", "No active member with this id."))
        cleaned["owner"] = owner
    if "stage" in cleaned and cleaned["stage"] is not None:
        stage = PipelineStage.objects.filter(pk=cleaned["stage"]).first()
        if stage is None:
            errors.append(field_error("stage", "unknown_stage", "No pipeline stage with this id."))
        cleaned["stage"] = stage
    if "custom_fields" in cleaned:
        errors += custom_field_errors(cleaned["custom_fields"] or {})
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


SMS_CONSENT_SOURCES = ", ".join(Lead.SmsConsentSource.values)


def sms_consent_errors(values: dict[str, Any]) -> list[dict[str, str]]:
    """What is wrong with the SMS consent values given, each as a field error."""
    errors = []
    state, source = values.get("sms_consent"), values.get("sms_consent_source")
    if "sms_consent" in values and state not in Lead.SmsConsent.values:
        errors.append(field_error("sms_consent", "invalid_choice", "Use opted_in or opted_out."))
    if source and source not in Lead.SmsConsentSource.values:
        errors.append(
            field_error(
                "sms_consent_source", "invalid_choice", f"Use one of: {SMS_CONSENT_SOURCES}."
            )
        )
    return errors


def _apply_sms_consent(lead: Lead, *, before: str) -> None:
    """Stamp the time of a change of SMS consent; raise InvalidInput when an opt-in has no
    source or consent would go back to unknown. The source of an opt-out lead is kept: it
    is the record of how they once agreed."""
    now = timezone.now()
    if lead.sms_consent == Lead.SmsConsent.UNKNOWN and before != Lead.SmsConsent.UNKNOWN:
        raise InvalidInput(
            details=[
                field_error(
                    "sms_consent",
                    "consent_not_forgotten",
                    "Consent once given or refused stays on record: use opted_in or opted_out.",
                )
            ]
        )
    if lead.sms_consent == Lead.SmsConsent.OPTED_IN:
        if not lead.sms_consent_source:
            raise InvalidInput(
                details=[
                    field_error(
                        "sms_consent_source",
                        "source_required",
                        f"Say how the lead agreed to texts: one of {SMS_CONSENT_SOURCES}.",
                    )
                ]
            )
        if before != Lead.SmsConsent.OPTED_IN:
            lead.sms_consent_at = now
    elif lead.sms_consent == Lead.SmsConsent.OPTED_OUT and before != Lead.SmsConsent.OPTED_OUT:
        lead.sms_opted_out_at = now


def _check_sms_source_alone(lead: Lead, changes: dict[str, Any]) -> None:
    """A source sent for a lead who is not opted in says nothing: InvalidInput."""
    if changes.get("sms_consent_source") and lead.sms_consent != Lead.SmsConsent.OPTED_IN:
        raise InvalidInput(
            details=[
                field_error(
                    "sms_consent_source",
                    "source_without_opt_in",
                    "A consent source goes with sms_consent opted_in.",
                )
            ]
        )


def custom_field_definitions() -> dict[str, CustomFieldDefinition]:
    return {definition.key: definition for definition in CustomFieldDefinition.objects.all()}


def custom_field_errors(
    values: dict[str, Any], definitions: dict[str, CustomFieldDefinition] | None = None
) -> list[dict[str, str]]:
    if not values:
        return []
    definitions = custom_field_definitions() if definitions is None else definitions
    errors = []
    for key, value in values.items():
        definition = definitions.get(key)
        where = f"custom_fields.{key}"
        if definition is None:
            errors.append(
                field_error(where, "unknown_field", "Define this custom field before using it.")
            )
        elif value is not None and not _matches(definition, value):
            errors.append(
                field_error(
                    where,
                    "invalid_value",
                    f"Expected a {definition.get_field_type_display()} value.",
                )
            )
    return errors


def _matches(definition: CustomFieldDefinition, value: Any) -> bool:
    kind = definition.field_type
    if kind == CustomFieldDefinition.FieldType.TEXT:
        return isinstance(value, str)
    if kind == CustomFieldDefinition.FieldType.NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == CustomFieldDefinition.FieldType.BOOLEAN:
        return isinstance(value, bool)
    if kind == CustomFieldDefinition.FieldType.DATE:
        from datetime import date

        try:
            date.fromisoformat(str(value))
        except ValueError:
            return False
        return True
    return value in (definition.options or [])


def _check_identity(lead: Lead) -> None:
    if not lead.email and not lead.phone:
        raise InvalidInput(
            details=[
                field_error(
                    "email", "email_or_phone_required", "Give an email address or a phone number."
                )
            ]
        )
    if lead.email:
        same_email = Lead.objects.alias(email_lower=Lower("email")).filter(
            email_lower=lead.email.lower()
        )
        if lead.pk is not None:
            same_email = same_email.exclude(pk=lead.pk)
        existing = same_email.values_list("pk", flat=True).first()
        if existing is not None:
            raise LeadEmailTaken(existing)


@transaction.atomic
def create_lead(*, actor: User | None, within_plan: bool = True, **values: Any) -> Lead:
    """Create a lead; raises InvalidInput (field details), LeadEmailTaken (with its id) or
    PlanLimitReached (402) when the plan's leads are all used. `within_plan=False` is for
    a lead that money brought (a payment from a new address): recorded whatever the plan."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    cleaned = _clean({key: value for key, value in values.items() if key in EDITABLE_FIELDS})
    lead = Lead(**cleaned)
    if lead.consent:
        lead.consent_at = timezone.now()
    _check_sms_source_alone(lead, cleaned)
    _apply_sms_consent(lead, before=Lead.SmsConsent.UNKNOWN)
    _check_identity(lead)
    if within_plan:
        check_leads(adding=1)  # holds the workspace's lead-limit lock until this commits
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        _check_identity(lead)  # lost a race on the email: say which lead has it
        raise
    remember_tags(lead.tags)
    record_event(
        actor=actor,
        verb=RecordEvent.CREATED,
        obj=lead,
        changes=diff({}, snapshot(lead, EDITABLE_FIELDS)),
    )
    return lead


@transaction.atomic
def update_lead(*, actor: User | None, lead_id: int, changes: dict[str, Any]) -> Lead:
    """Change only the fields given; raises NotFound, InvalidInput or LeadEmailTaken."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("No lead with this id.")
    cleaned = _clean(changes)
    fields = [name for name in cleaned if name in EDITABLE_FIELDS]
    if "sms_consent" in fields:
        fields += [name for name in SMS_CONSENT_TIMES if name not in fields]
    new_number = "phone" in fields and cleaned["phone"] != lead.phone
    if new_number:
        fields.append("sms_undeliverable_at")
    before = snapshot(lead, fields)
    for name in fields:
        if name in cleaned:
            setattr(lead, name, cleaned[name])
    if new_number:
        # A new number has no delivery record yet; the old one's failure does not carry over.
        lead.sms_undeliverable_at = None
    if "consent" in cleaned and cleaned["consent"] and lead.consent_at is None:
        lead.consent_at = timezone.now()
    _check_sms_source_alone(lead, cleaned)
    _apply_sms_consent(lead, before=before.get("sms_consent", lead.sms_consent))
    _check_identity(lead)
    lead.updated_at = timezone.now()
    lead.save()
    changed = diff(before, snapshot(lead, fields))
    if "tags" in changed:
        remember_tags(lead.tags)
        forget_unused_tags(set(before["tags"]) - set(lead.tags))
    if changed:
        record_event(actor=actor, verb=RecordEvent.UPDATED, obj=lead, changes=changed)
    return lead


@transaction.atomic
def delete_lead(*, actor: User | None, lead_id: int) -> None:
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    lead = get_lead(lead_id)
    gone = snapshot(lead, ["email", "first_name", "last_name"])
    record_event(
        actor=actor,
        verb=RecordEvent.DELETED,
        obj=lead,
        changes={field: {"before": value, "after": None} for field, value in gone.items()},
    )
    lead.delete()
    forget_unused_tags(lead.tags)
