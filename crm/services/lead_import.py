"""CSV import of leads: map headers, check every row, then write them all in one statement.

Rows are checked in Python (no query per row); the good ones are COPYed into a temporary
table and upserted with one INSERT ... ON CONFLICT on lower(email), which also writes one
event per lead. An import with bad rows writes nothing unless the caller chose to skip them.
Small files run in the request; larger ones in a Celery job that reports progress.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.models import CustomFieldDefinition, Lead, LeadImport
from crm.services.leads import MAX_TAGS, custom_field_definitions, custom_field_errors
from project.errors import InvalidInput, field_error

log = structlog.get_logger(__name__)

IMPORTABLE = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "source_detail",
    "tags",
    "notes",
    "status",
    "consent",
]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_REPORTED_ERRORS = 1000
PROGRESS_EVERY = 5000
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"", "0", "false", "no", "n", "off"}


@dataclass
class CheckedRows:
    good: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0


def read_header(csv_text: str) -> list[str]:
    return next(csv.reader(io.StringIO(csv_text)), [])


def resolve_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """CSV column -> lead field. Without a mapping, columns named like fields map to them."""
    if not mapping:
        normalised = {column: column.strip().lower().replace(" ", "_") for column in header}
        return {
            column: name
            for column, name in normalised.items()
            if name in IMPORTABLE or name.startswith("custom_fields.")
        }
    errors = [
        field_error(f"mapping.{column}", "unknown_column", "No such column in the file.")
        for column in mapping
        if column not in header
    ]
    errors += [
        field_error(
            f"mapping.{column}",
            "unknown_field",
            f"Map to one of: {', '.join(IMPORTABLE)} or custom_fields.<key>.",
        )
        for column, target in mapping.items()
        if target not in IMPORTABLE and not target.startswith("custom_fields.")
    ]
    if errors:
        raise InvalidInput(details=errors)
    return mapping


def _row_errors(values: dict[str, Any]) -> list[str]:
    problems = []
    email = values.get("email")
    if email and not EMAIL.match(email):
        problems.append(f"email: '{email}' is not a valid email address")
    if not email and not values.get("phone"):
        problems.append("email or phone: give at least one")
    if values.get("source") not in Lead.Source.values:
        problems.append(f"source: use one of {', '.join(Lead.Source.values)}")
    if values.get("status") not in Lead.Status.values:
        problems.append(f"status: use one of {', '.join(Lead.Status.values)}")
    if len(values.get("tags", [])) > MAX_TAGS:
        problems.append(f"tags: at most {MAX_TAGS}")
    return problems


def check_rows(csv_text: str, mapping: dict[str, str], *, progress: Any = None) -> CheckedRows:
    """Parse and check every row; row numbers count the header as row 1, like a spreadsheet."""
    reader = csv.reader(io.StringIO(csv_text))
    header = next(reader, [])
    columns = resolve_mapping(header, mapping)
    positions = [(header.index(column), target) for column, target in columns.items()]
    definitions = custom_field_definitions()
    checked, seen_emails = CheckedRows(), dict[str, int]()
    for number, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        values: dict[str, Any] = {
            "source": Lead.Source.IMPORT,
            "status": Lead.Status.NEW,
            "tags": [],
            "custom_fields": {},
        }
        problems = []
        for index, target in positions:
            cell = raw[index].strip() if index < len(raw) else ""
            if target == "tags":
                values["tags"] = sorted(
                    {t.strip().lower() for t in re.split(r"[;,]", cell) if t.strip()}
                )
            elif target == "consent":
                word = cell.lower()
                if word not in TRUE | FALSE:
                    problems.append(f"consent: '{cell}' is not yes or no")
                values["consent"] = word in TRUE
            elif target.startswith("custom_fields."):
                if cell:
                    values["custom_fields"][target.split(".", 1)[1]] = cell
            elif target in ("source", "status"):
                values[target] = cell.lower() or values[target]
            else:
                values[target] = cell
        problems += _row_errors(values)
        problems += [
            f"{error['field']}: {error['message']}"
            for error in custom_field_errors(_typed_custom(values["custom_fields"], definitions))
        ]
        email_key = (values.get("email") or "").lower()
        if email_key and email_key in seen_emails:
            problems.append(f"email: already on row {seen_emails[email_key]} of this file")
        elif email_key:
            seen_emails[email_key] = number
        if problems:
            checked.error_count += 1
            if len(checked.errors) < MAX_REPORTED_ERRORS:
                checked.errors.append({"row": number, "errors": problems})
        else:
            values["custom_fields"] = _typed_custom(values["custom_fields"], definitions)
            checked.good.append(values)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number - 1)
    return checked


def _typed_custom(values: dict[str, str], definitions: dict[str, Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        kind = definition.field_type if definition else None
        if kind == CustomFieldDefinition.FieldType.NUMBER:
            try:
                typed[key] = float(value) if "." in value else int(value)
            except ValueError:
                typed[key] = value
        elif kind == CustomFieldDefinition.FieldType.BOOLEAN:
            typed[key] = value.lower() in TRUE if value.lower() in TRUE | FALSE else value
        else:
            typed[key] = value
    return typed


COPY_COLUMNS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "source_detail",
    "tags",
    "notes",
    "status",
    "consent",
    "custom_fields",
]


def _copy_rows(rows: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield (
            row.get("first_name", ""),
            row.get("last_name", ""),
            row.get("email") or None,
            row.get("phone", ""),
            row.get("company", ""),
            row["source"],
            row.get("source_detail", ""),
            row["tags"],
            row.get("notes", ""),
            row["status"],
            row.get("consent", False),
            json.dumps(row["custom_fields"]),
        )


def write_rows(
    rows: list[dict[str, Any]],
    *,
    mapped: set[str],
    on_duplicate: str,
    actor: User | None,
    import_id: int,
) -> tuple[int, int, int]:
    """Upsert the checked rows in one statement; returns (created, updated, skipped)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE lead_import_rows (first_name varchar, last_name varchar, "
            "email varchar, phone varchar, company varchar, source varchar, "
            "source_detail varchar, tags varchar[], notes text, status varchar, "
            "consent boolean, custom_fields jsonb) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            f"COPY lead_import_rows ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in _copy_rows(rows):
                copy.write_row(row)
        updates = [
            f"{name} = EXCLUDED.{name}"
            for name in COPY_COLUMNS
            if name in mapped and name not in ("email", "custom_fields")
        ]
        if "custom_fields" in mapped or any(m.startswith("custom_fields.") for m in mapped):
            updates.append("custom_fields = crm_lead.custom_fields || EXCLUDED.custom_fields")
        if on_duplicate == LeadImport.OnDuplicate.UPDATE and updates:
            conflict = f"DO UPDATE SET {', '.join(updates)}, updated_at = %(now)s"
        else:
            conflict = "DO NOTHING"
        columns = ", ".join(COPY_COLUMNS)
        cursor.execute(
            f"""
            WITH upserted AS (
                INSERT INTO crm_lead ({columns}, created_at, updated_at, consent_at)
                SELECT {columns}, %(now)s, %(now)s, CASE WHEN consent THEN %(now)s END
                FROM lead_import_rows
                ON CONFLICT ((lower((email)::text))) {conflict}
                RETURNING id, (xmax = 0) AS inserted
            ), events AS (
                INSERT INTO crm_eventlog (actor_id, verb, object_type, object_id, changes, at)
                SELECT %(actor)s, CASE WHEN inserted THEN 'created' ELSE 'updated' END, 'lead',
                       id, jsonb_build_object('import', %(import_id)s), %(now)s
                FROM upserted
                RETURNING verb
            )
            SELECT count(*) FILTER (WHERE verb = 'created'),
                   count(*) FILTER (WHERE verb = 'updated')
            FROM events
            """,  # noqa: S608 - columns and conflict come from constants above
            {"now": now, "actor": actor.pk if actor else None, "import_id": import_id},
        )
        created, updated = cursor.fetchone()
        # ON COMMIT DROP covers a crash; an enclosing transaction may import again first.
        cursor.execute("DROP TABLE lead_import_rows")
    return created, updated, len(rows) - created - updated


def _save_progress(lead_import: LeadImport, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(lead_import, name, value)
    LeadImport.objects.filter(pk=lead_import.pk).update(**fields)


def run_import(lead_import: LeadImport) -> LeadImport:
    """Check and (unless a dry run, or refused for bad rows) write one import.

    Safe to run again after a crash: the write is one transaction, so either every row
    landed (and the import is done) or none did and it starts over.
    """
    if lead_import.status == LeadImport.Status.DONE:
        return lead_import
    _save_progress(lead_import, status=LeadImport.Status.VALIDATING, processed_rows=0)
    mapping = resolve_mapping(read_header(lead_import.csv_text), lead_import.mapping)
    checked = check_rows(
        lead_import.csv_text,
        lead_import.mapping,
        progress=lambda n: _save_progress(lead_import, processed_rows=n),
    )
    total = len(checked.good) + checked.error_count
    outcome: dict[str, Any] = {
        "total_rows": total,
        "processed_rows": total,
        "error_count": checked.error_count,
        "errors": checked.errors,
    }
    refused = checked.error_count and not lead_import.skip_bad_rows
    if lead_import.dry_run or refused:
        _save_progress(
            lead_import,
            status=LeadImport.Status.DONE,
            finished_at=timezone.now(),
            skipped_count=checked.error_count if lead_import.skip_bad_rows else 0,
            **outcome,
        )
        return lead_import
    _save_progress(lead_import, status=LeadImport.Status.WRITING, **outcome)
    with transaction.atomic():
        created, updated, skipped = write_rows(
            checked.good,
            mapped=set(mapping.values()),
            on_duplicate=lead_import.on_duplicate,
            actor=lead_import.created_by,
            import_id=lead_import.pk,
        )
        _save_progress(
            lead_import,
            status=LeadImport.Status.DONE,
            created_count=created,
            updated_count=updated,
            skipped_count=skipped + checked.error_count,
            finished_at=timezone.now(),
        )
    log.info(
        "lead_import_finished",
        import_id=lead_import.pk,
        created=created,
        updated=updated,
        errors=checked.error_count,
    )
    return lead_import


def start_import(
    *,
    actor: User | None,
    csv_text: str,
    mapping: dict[str, str] | None = None,
    on_duplicate: str = LeadImport.OnDuplicate.SKIP,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
) -> LeadImport:
    """Record an import and run it now (small files) or queue it for a worker.

    Raises InvalidInput for an empty file, a file holding a NUL character, an unknown option
    or a mapping that names columns or fields that do not exist.
    """
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    if "\x00" in csv_text:
        line = csv_text.count("\n", 0, csv_text.index("\x00")) + 1
        raise InvalidInput(
            details=[
                field_error(
                    "file", "nul_character", f"Line {line} holds a NUL character (\\u0000)."
                )
            ]
        )
    if on_duplicate not in LeadImport.OnDuplicate.values:
        raise InvalidInput(
            details=[field_error("on_duplicate", "invalid_choice", "Use update or skip.")]
        )
    header = read_header(csv_text)
    if not header:
        raise InvalidInput(
            details=[
                field_error("file", "empty_file", "The file is empty: send a CSV with a header.")
            ]
        )
    resolve_mapping(header, mapping or {})
    lead_import = LeadImport.objects.create(
        csv_text=csv_text,
        mapping=mapping or {},
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        created_by=actor,
        total_rows=max(0, csv_text.count("\n") - 1),
    )
    if lead_import.total_rows <= settings.CRM_IMPORT_SYNC_MAX_ROWS:
        return run_import(lead_import)
    from crm.tasks import import_leads

    transaction.on_commit(lambda: import_leads.delay(lead_import.pk))
    return lead_import
