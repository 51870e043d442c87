"""Products (courses, coaching, services, memberships), pipeline stages and custom fields."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.events import RecordEvent
from crm.models import CustomFieldDefinition, Lead, PipelineStage, Product
from crm.selectors.records import get_record
from crm.services.bulk import BulkAction, run_bulk_action
from crm.services.events import record_event
from crm.services.records import create_record, delete_record, update_record
from project.errors import InvalidInput, field_error

PRODUCT_FIELDS = [
    "name",
    "kind",
    "description",
    "price",
    "currency",
    "billing",
    "interval",
    "active",
]
STAGE_FIELDS = ["name", "order", "win_probability"]
FIELD_DEFINITION_FIELDS = ["key", "label", "field_type", "options", "required"]
MAX_PRICE = Decimal("9999999999.99")  # the column holds 12 digits, 2 of them decimals
CURRENCY = re.compile(r"^[A-Z]{3}$")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def _choice(
    errors: list[dict[str, str]], values: dict[str, Any], name: str, choices: list[str]
) -> None:
    if name in values and values[name] not in choices:
        errors.append(field_error(name, "invalid_choice", f"Use one of: {', '.join(choices)}."))


def _required_text(
    errors: list[dict[str, str]], values: dict[str, Any], name: str, max_length: int
) -> None:
    if name in values:
        values[name] = str(values[name] or "").strip()
        if not values[name] or len(values[name]) > max_length:
            errors.append(
                field_error(name, "invalid_length", f"Give 1 to {max_length} characters.")
            )


def clean_product(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    _required_text(errors, cleaned, "name", 200)
    _choice(errors, cleaned, "kind", Product.Kind.values)
    _choice(errors, cleaned, "billing", Product.Billing.values)
    if "price" in cleaned:
        try:
            price = Decimal(str(cleaned["price"]))
            in_range = price.is_finite() and 0 <= price <= MAX_PRICE
            if not in_range or price != price.quantize(Decimal("0.01")):
                raise InvalidOperation
            cleaned["price"] = price
        except (InvalidOperation, ValueError):
            errors.append(
                field_error(
                    "price",
                    "invalid_price",
                    f"Give a price from 0 to {MAX_PRICE} with at most 2 decimals.",
                )
            )
    if "currency" in cleaned:
        cleaned["currency"] = str(cleaned["currency"] or "").upper()
        if not CURRENCY.match(cleaned["currency"]):
            errors.append(
                field_error(
                    "currency",
                    "invalid_currency",
                    "Use a three-letter ISO code such as USD or EUR.",
                )
            )
    billing = cleaned.get("billing", getattr(current, "billing", Product.Billing.ONE_TIME))
    interval = cleaned.get("interval", getattr(current, "interval", "")) or ""
    if billing == Product.Billing.RECURRING and interval not in Product.Interval.values:
        errors.append(
            field_error(
                "interval",
                "interval_required",
                "A recurring product needs an interval: month or year.",
            )
        )
    if billing == Product.Billing.ONE_TIME:
        cleaned["interval"] = ""
    elif "interval" in cleaned or "billing" in cleaned:
        cleaned["interval"] = interval
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


def create_product(*, actor: User | None, **values: Any) -> Product:
    """Create a product (admins and the owner). Prices are Decimals, never floats."""
    return create_record(
        Product,
        actor=actor,
        action=Action.MANAGE_PRODUCTS,
        values=values,
        clean=clean_product,
        fields=PRODUCT_FIELDS,
        conflict_message="This product conflicts with another.",
    )


def update_product(*, actor: User | None, product_id: int, changes: dict[str, Any]) -> Product:
    return update_record(
        Product,
        actor=actor,
        action=Action.MANAGE_PRODUCTS,
        record_id=product_id,
        changes=changes,
        clean=clean_product,
        fields=PRODUCT_FIELDS,
        conflict_message="This product conflicts with another.",
    )


def delete_product(*, actor: User | None, product_id: int) -> None:
    delete_record(
        Product,
        actor=actor,
        action=Action.MANAGE_PRODUCTS,
        record_id=product_id,
        fields=["name", "price", "currency"],
    )


def clean_stage(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    _required_text(errors, cleaned, "name", 60)
    probability = cleaned.get("win_probability")
    if probability is not None and not 0 <= probability <= 100:
        errors.append(field_error("win_probability", "out_of_range", "Use 0 to 100."))
    if "order" in cleaned and cleaned["order"] is None:
        cleaned["order"] = PipelineStage.objects.count()
    elif cleaned.get("order") is not None and not 0 <= cleaned["order"] <= 10_000:
        errors.append(field_error("order", "out_of_range", "Use 0 to 10,000."))
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


STAGE_TAKEN = "A stage with this name already exists."


def create_stage(*, actor: User | None, **values: Any) -> PipelineStage:
    values.setdefault("order", None)
    return create_record(
        PipelineStage,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        values=values,
        clean=clean_stage,
        fields=STAGE_FIELDS,
        conflict_message=STAGE_TAKEN,
    )


def update_stage(*, actor: User | None, stage_id: int, changes: dict[str, Any]) -> PipelineStage:
    return update_record(
        PipelineStage,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        record_id=stage_id,
        changes=changes,
        clean=clean_stage,
        fields=STAGE_FIELDS,
        conflict_message=STAGE_TAKEN,
    )


@transaction.atomic
def delete_stage(*, actor: User | None, stage_id: int, move_leads_to: int | None = None) -> int:
    """Delete a stage and return how many leads it held. They move to the stage
    `move_leads_to` (each move on its lead's timeline) or, when it is None, keep all their
    data and lose only the stage. Raises NotFound, InvalidInput, Forbidden."""
    if actor is not None:
        require(actor, Action.MANAGE_PIPELINE)
    stage = get_record(PipelineStage, stage_id)
    if move_leads_to is not None and (
        move_leads_to == stage.pk or not PipelineStage.objects.filter(pk=move_leads_to).exists()
    ):
        raise InvalidInput(
            details=[
                field_error("move_leads_to", "unknown_stage", "Choose another existing stage.")
            ]
        )
    lead_ids = list(Lead.objects.filter(stage=stage).values_list("pk", flat=True))
    if move_leads_to is not None and lead_ids:
        run_bulk_action(
            actor=actor, action=BulkAction.MOVE_STAGE, value=move_leads_to, ids=lead_ids
        )
    delete_record(
        PipelineStage,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        record_id=stage_id,
        fields=["name"],
    )
    return len(lead_ids)


@transaction.atomic
def reorder_stages(*, actor: User | None, stage_ids: list[int]) -> list[PipelineStage]:
    """Put the stages in the given order; the list must name every stage once."""
    if actor is not None:
        require(actor, Action.MANAGE_PIPELINE)
    stages = {stage.pk: stage for stage in PipelineStage.objects.select_for_update()}
    if sorted(stage_ids) != sorted(stages):
        raise InvalidInput(
            details=[field_error("ids", "incomplete_order", "List every stage id exactly once.")]
        )
    for order, stage_id in enumerate(stage_ids):
        stages[stage_id].order = order
    PipelineStage.objects.bulk_update(stages.values(), ["order"])
    for stage in stages.values():
        record_event(
            actor=actor,
            verb=RecordEvent.REORDERED,
            obj=stage,
            changes={"order": {"after": stage.order}},
        )
    return sorted(stages.values(), key=lambda stage: stage.order)


def clean_field_definition(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    if "key" in cleaned and not KEY.match(str(cleaned["key"] or "")):
        errors.append(
            field_error(
                "key", "invalid_key", "Start with a letter; use lower-case letters, digits and _."
            )
        )
    _required_text(errors, cleaned, "label", 100)
    _choice(errors, cleaned, "field_type", CustomFieldDefinition.FieldType.values)
    field_type = cleaned.get("field_type", getattr(current, "field_type", None))
    options = cleaned.get("options", getattr(current, "options", []))
    if field_type == CustomFieldDefinition.FieldType.SELECT and not (
        isinstance(options, list) and options and all(isinstance(o, str) for o in options)
    ):
        errors.append(
            field_error(
                "options", "options_required", "A choice field needs a list of text options."
            )
        )
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


FIELD_TAKEN = "A custom field with this key already exists."


def create_field_definition(*, actor: User | None, **values: Any) -> CustomFieldDefinition:
    return create_record(
        CustomFieldDefinition,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        values=values,
        clean=clean_field_definition,
        fields=FIELD_DEFINITION_FIELDS,
        conflict_message=FIELD_TAKEN,
    )


def update_field_definition(
    *, actor: User | None, field_id: int, changes: dict[str, Any]
) -> CustomFieldDefinition:
    changes.pop("key", None)  # values are stored under the key: it never changes
    return update_record(
        CustomFieldDefinition,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        record_id=field_id,
        changes=changes,
        clean=clean_field_definition,
        fields=FIELD_DEFINITION_FIELDS,
        conflict_message=FIELD_TAKEN,
    )


def delete_field_definition(*, actor: User | None, field_id: int) -> None:
    delete_record(
        CustomFieldDefinition,
        actor=actor,
        action=Action.MANAGE_PIPELINE,
        record_id=field_id,
        fields=["key", "label"],
    )
