"""A lead's fields, listed once. What a person may set (the API, the app), what a CSV column
can fill, and the export's columns in their order are all read from LEAD_FIELDS, so a new
field is added here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from crm.models import Lead


@dataclass(frozen=True)
class LeadField:
    name: str
    editable: bool = True  # set through the API and the app when a lead is made or changed
    importable: bool = True  # a CSV column can fill it (custom fields also one key a column)


# In the export's column order: the long free text last, where a spreadsheet has room.
LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField("id", editable=False, importable=False),
    LeadField("first_name"),
    LeadField("last_name"),
    LeadField("email"),
    LeadField("phone"),
    LeadField("company"),
    LeadField("source"),
    LeadField("source_detail"),
    LeadField("tags"),
    LeadField("status"),
    # The API names a stage and an owner by id; a file has no ids of ours, so it names neither.
    LeadField("stage", importable=False),
    LeadField("owner", importable=False),
    LeadField("consent"),
    LeadField("unsubscribed_at", editable=False, importable=False),
    LeadField("sms_consent"),
    LeadField("sms_consent_source"),
    LeadField("sms_consent_at", editable=False, importable=False),
    LeadField("sms_opted_out_at", editable=False, importable=False),
    LeadField("sms_undeliverable_at", editable=False, importable=False),
    # Campaign texts keep quiet hours on this clock; empty: the number's region decides.
    LeadField("time_zone", importable=False),
    LeadField("last_contacted_at", editable=False, importable=False),
    LeadField("created_at", editable=False, importable=False),
    LeadField("updated_at", editable=False, importable=False),
    LeadField("custom_fields"),
    LeadField("notes"),
)

EDITABLE_FIELDS = [field.name for field in LEAD_FIELDS if field.editable]
IMPORTABLE = [field.name for field in LEAD_FIELDS if field.importable]
EXPORT_COLUMNS = [field.name for field in LEAD_FIELDS]


def model_field(name: str) -> models.Field[Any, Any]:
    """The Lead model's field of this name (its type, max_length and choices)."""
    field = Lead._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


# Free text a person types: trimmed when saved. Email, choices and arrays have rules of their own.
PLAIN_TEXT_FIELDS = [
    name
    for name in EDITABLE_FIELDS
    if isinstance(model_field(name), models.CharField | models.TextField)
    and not isinstance(model_field(name), models.EmailField)
    and not model_field(name).choices
]
