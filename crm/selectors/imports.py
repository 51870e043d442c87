"""Reads of the app's import pages: a file's columns guessed as lead fields, the fields a
column can fill, past imports, an import's report in the file's own column names, and the
leads an import wrote."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, ExpressionWrapper, F, QuerySet, Value, When
from django.db.models import IntegerField as Integer

from crm.lead_fields import IMPORTABLE, model_field
from crm.models import CustomFieldDefinition, EventLog, Lead, LeadImport
from project.errors import NotFound

CUSTOM_PREFIX = "custom_fields."

# Header words people's exports use for each field (HubSpot, Kit, Mailchimp, Kajabi,
# spreadsheets), after normalising: lower case, every run of other characters one space.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first name", "firstname", "first", "given name", "forename", "fname"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "lname"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "emailaddress"),
    "phone": ("phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell"),
    "company": ("company", "company name", "organisation", "organization", "business",
                "employer", "account name"),
    "source": ("source", "lead source", "original source"),
    "source_detail": ("source detail", "source details", "referrer", "campaign"),
    "tags": ("tags", "tag", "labels", "label", "segments", "lists"),
    "status": ("status", "lead status", "lifecycle stage"),
    "consent": ("consent", "opt in", "optin", "marketing consent", "email consent",
                "accepts marketing", "subscribed"),
    "custom_fields": ("custom fields",),
    "notes": ("notes", "note", "comments", "comment", "description"),
}  # fmt: skip


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _label(verbose_name: str) -> str:
    """ "first name" -> "First name", keeping an acronym the model spells ("SMS consent")."""
    return verbose_name[:1].upper() + verbose_name[1:]


def field_choices() -> list[tuple[str, str]]:
    """Every target a column can have: the lead fields, then the workspace's custom fields."""
    choices = [(name, _label(str(model_field(name).verbose_name))) for name in IMPORTABLE]
    choices = [
        (name, "Custom fields (a JSON object)" if name == "custom_fields" else label)
        for name, label in choices
    ]
    choices += [
        (f"{CUSTOM_PREFIX}{definition.key}", f"{definition.label} (custom field)")
        for definition in CustomFieldDefinition.objects.order_by("label")
    ]
    return choices


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Each column's likely lead field ("" for none): its name, a common synonym, or a
    custom field's key or label; a field goes to the first column that names it."""
    known: dict[str, str] = {}
    for target, label in reversed(field_choices()):
        known[_normalised(target.removeprefix(CUSTOM_PREFIX))] = target
        if target.startswith(CUSTOM_PREFIX):
            known[_normalised(label.removesuffix(" (custom field)"))] = target
    for name, words in SYNONYMS.items():
        for word in words:
            known[word] = name
    guessed: dict[str, str] = {}
    taken: set[str] = set()
    for column in header:
        target = known.get(_normalised(column), "")
        if target in taken:
            target = ""
        guessed[column] = target
        taken.add(target)
    return guessed


def find_import(import_id: int, *, with_file: bool = False) -> LeadImport:
    """One import, or NotFound; without its file unless asked (a file may be 50 MB, and the
    progress is read every second)."""
    found = LeadImport.objects.select_related("created_by").filter(pk=import_id)
    lead_import = (found if with_file else found.defer("csv_text")).first()
    if lead_import is None:
        raise NotFound("No lead import with this id.")
    return lead_import


def import_step(lead_import: LeadImport) -> str:
    """Where the person is: `mapping` (uploaded), `preview` (a dry run) or `import`."""
    if lead_import.dry_run:
        return "preview" if lead_import.mapping else "mapping"
    return "import"


def recent_imports(limit: int = 20) -> QuerySet[LeadImport]:
    """The last imports, each with `kept`: rows skipped because the lead existed (the
    engine's skipped count also holds the bad rows an import chose to skip)."""
    bad_skipped = Case(
        When(skip_bad_rows=True, then=F("error_count")), default=Value(0), output_field=Integer()
    )
    return (
        LeadImport.objects.select_related("created_by")
        .defer("csv_text")
        .annotate(kept=ExpressionWrapper(F("skipped_count") - bad_skipped, Integer()))[:limit]
    )


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the file's column, or the field when no column is mapped to it
    message: str


def row_errors(lead_import: LeadImport) -> list[RowError]:
    """The report of a run, one line per problem, naming the file's column."""
    columns = {target: column for column, target in lead_import.mapping.items()}
    lines = []
    for entry in lead_import.errors:
        for problem in entry["errors"]:
            field, _, message = problem.partition(": ")
            column = columns.get(field) or field
            if not message:  # a problem of the whole row
                field, message = "", problem
            lines.append(RowError(entry["row"], column if field else "", message))
    return lines


def imported_leads(lead_import: LeadImport) -> QuerySet[Lead]:
    """The leads an import created or updated, found by the events it wrote (one timestamp,
    inside its run, so the event log's time index finds them without a scan)."""
    if lead_import.dry_run or lead_import.finished_at is None:
        return Lead.objects.none()
    events = EventLog.objects.filter(
        object_type="lead",
        at__gte=lead_import.created_at,
        at__lte=lead_import.finished_at + timedelta(seconds=1),
        changes__import=lead_import.pk,
    ).values("object_id")
    return Lead.objects.filter(pk__in=events)


def column_examples(csv_text: str, *, rows: int = 20) -> dict[str, str]:
    """Each column's first non-empty cell among the first rows, so a person sees what the
    column holds while choosing its field."""
    reader = csv.reader(io.StringIO(csv_text[:200_000], newline=""))
    found: dict[str, str] = {}
    try:
        header = next(reader, [])
        for _, cells in zip(range(rows), reader, strict=False):
            for column, cell in zip(header, cells, strict=False):
                if column not in found and cell.strip():
                    found[column] = cell.strip()[:60]
    except csv.Error:
        pass  # a broken row: the preview reports it; the examples stop there
    return found
