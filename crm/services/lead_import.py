"""CSV import of leads: map headers, check every row, then write them all in one statement.

Rows are checked in Python (no query per row); the good ones are COPYed into a temporary
table and upserted with one INSERT ... ON CONFLICT on lower(email), which also writes one
event per lead. An import with bad rows writes nothing unless the caller chose to skip them.
Small files run in the request; larger ones in a Celery job that reports progress.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.lead_fields import IMPORTABLE, model_field
from crm.models import LeadImport
from crm.services.lead_import_rows import (
    check_rows,
    read_header,
    resolve_mapping,
    rows_with_nul,
)
from crm.services.tag_catalogue import remember_tags_of_table
from project.celery import queue_job
from project.errors import InvalidInput, field_error
from tenants.errors import PlanLimitReached
from tenants.limits import check_leads

log = structlog.get_logger(__name__)

MAX_IMPORT_BYTES = 50 * 1024 * 1024  # the largest file the API and the app accept

# Every field an import can fill, each a column of the temporary table the rows are COPYed
# into first; a column the file does not have gets the model's default.
COPY_COLUMNS = IMPORTABLE
COPY_DEFAULTS = {name: model_field(name).get_default() for name in COPY_COLUMNS}

SMS_CONSENT_COLUMNS = ("sms_consent", "sms_consent_source")
# A file's opted_in or opted_out changes a lead (stamping the time when the state changes);
# an empty or `unknown` cell keeps what the lead had, so an import never forgets an opt-out.
SMS_CONSENT_UPDATES = [
    "sms_consent = CASE WHEN EXCLUDED.sms_consent = 'unknown' THEN crm_lead.sms_consent"
    " ELSE EXCLUDED.sms_consent END",
    "sms_consent_source = CASE WHEN EXCLUDED.sms_consent = 'opted_in'"
    " THEN EXCLUDED.sms_consent_source ELSE crm_lead.sms_consent_source END",
    "sms_consent_at = CASE WHEN EXCLUDED.sms_consent = 'opted_in'"
    " AND crm_lead.sms_consent <> 'opted_in' THEN %(now)s ELSE crm_lead.sms_consent_at END",
    "sms_opted_out_at = CASE WHEN EXCLUDED.sms_consent = 'opted_out'"
    " AND crm_lead.sms_consent <> 'opted_out' THEN %(now)s ELSE crm_lead.sms_opted_out_at END",
]

IMPORT_JOB = "crm.import_leads"  # crm.tasks.import_leads, queued by name


def _copy_value(name: str, value: Any) -> Any:
    if name == "custom_fields":
        return json.dumps(value)
    if name == "email":
        return value or None  # NULL, not "": the unique index on lower(email) skips it
    return value


def _copy_rows(rows: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield tuple(_copy_value(name, row.get(name, COPY_DEFAULTS[name])) for name in COPY_COLUMNS)


def _temp_table_columns() -> str:
    return ", ".join(f"{name} {model_field(name).db_type(connection)}" for name in COPY_COLUMNS)


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
            f"CREATE TEMP TABLE lead_import_rows ({_temp_table_columns()}) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            f"COPY lead_import_rows ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        ) as copy:
            for row in _copy_rows(rows):
                copy.write_row(row)
        updates = [
            f"{name} = EXCLUDED.{name}"
            for name in COPY_COLUMNS
            if name in mapped and name not in ("email", "custom_fields", *SMS_CONSENT_COLUMNS)
        ]
        if "sms_consent" in mapped:
            updates += SMS_CONSENT_UPDATES
        if "phone" in mapped:  # a new number's delivery record starts clean (as update_lead)
            updates.append(
                "sms_undeliverable_at = CASE WHEN EXCLUDED.phone IS DISTINCT FROM crm_lead.phone"
                " THEN NULL ELSE crm_lead.sms_undeliverable_at END"
            )
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
                INSERT INTO crm_lead (
                    {columns}, created_at, updated_at, consent_at, sms_consent_at,
                    sms_opted_out_at
                )
                SELECT {columns}, %(now)s, %(now)s, CASE WHEN consent THEN %(now)s END,
                       CASE WHEN sms_consent = 'opted_in' THEN %(now)s::timestamptz END,
                       CASE WHEN sms_consent = 'opted_out' THEN %(now)s::timestamptz END
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
        if "tags" in mapped:
            remember_tags_of_table("lead_import_rows")
        # ON COMMIT DROP covers a crash; an enclosing transaction may import again first.
        cursor.execute("DROP TABLE lead_import_rows")
    return created, updated, len(rows) - created - updated


def new_lead_count(rows: list[dict[str, Any]]) -> int:
    """How many of the checked rows would be new leads: a row whose address is already a
    lead's updates it (or is skipped) and adds none; a row without an address always adds."""
    emails = [str(row["email"]).lower() for row in rows if row.get("email")]
    if not emails:
        return len(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_lead WHERE lower(email) = ANY(%s)", [emails])
        (existing,) = cursor.fetchone()
    return len(rows) - int(existing)


def _save_progress(lead_import: LeadImport, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(lead_import, name, value)
    LeadImport.objects.filter(pk=lead_import.pk).update(**fields)


FINISHED = (LeadImport.Status.DONE, LeadImport.Status.FAILED)


def run_import(lead_import: LeadImport, *, raise_plan_limit: bool = False) -> LeadImport:
    """Check and (unless a dry run, or refused for bad rows) write one import.

    Whatever goes wrong on the way, the import ends `failed` with its report so far and the
    reason, never left `validating` or `writing`. Safe to run again after a killed worker:
    the write is one transaction, so either every row landed (and the import is done) or
    none did and it starts over. An import whose new leads would cross the plan's limit
    writes none and ends `failed` with the limit's message (and, with `raise_plan_limit`,
    raises it for the API's 402).
    """
    if lead_import.status in FINISHED:
        return lead_import
    try:
        return _check_and_write(lead_import)
    except PlanLimitReached as error:
        log.info("lead_import_over_plan_limit", import_id=lead_import.pk)
        _save_progress(
            lead_import,
            status=LeadImport.Status.FAILED,
            failure=error.message,
            finished_at=timezone.now(),
        )
        if raise_plan_limit:
            raise
        return lead_import
    except Exception:  # any failure at all must end the import, never strand it in progress
        stage = lead_import.get_status_display().lower()
        log.exception("lead_import_failed", import_id=lead_import.pk, stage=lead_import.status)
        _save_progress(
            lead_import,
            status=LeadImport.Status.FAILED,
            failure=f"The import stopped while {stage}: something went wrong on our side and "
            "it has been logged. No lead was written; try the import again.",
            finished_at=timezone.now(),
        )
        return lead_import


def _check_and_write(lead_import: LeadImport) -> LeadImport:
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
    if lead_import.dry_run and not refused:
        with transaction.atomic():  # the preview says so before anyone confirms
            check_leads(adding=lambda: new_lead_count(checked.good))
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
        check_leads(adding=lambda: new_lead_count(checked.good))
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


def refuse_unstorable_file(csv_text: str) -> list[str]:
    """The file's header; raises InvalidInput for a file with NUL characters (naming their
    rows) or an empty one, neither of which can be recorded."""
    nul_rows = rows_with_nul(csv_text)
    if nul_rows:
        listed = ", ".join(str(number) for number in nul_rows[:20])
        raise InvalidInput(
            details=[
                field_error(
                    "file",
                    "nul_character",
                    f"{'Rows' if len(nul_rows) > 1 else 'Row'} {listed} "
                    f"{'hold' if len(nul_rows) > 1 else 'holds'} a NUL character, which "
                    "cannot be stored: "
                    "remove it and import again.",
                )
            ]
        )
    header = read_header(csv_text)
    if not header:
        raise InvalidInput(
            details=[
                field_error("file", "empty_file", "The file is empty: send a CSV with a header.")
            ]
        )
    return header


def estimated_rows(csv_text: str) -> int:
    """The data rows of a file before it is read (files from old Macs end lines with CR)."""
    return max(0, max(csv_text.count("\n"), csv_text.count("\r")) - 1)


def run_or_queue(lead_import: LeadImport, *, raise_plan_limit: bool = False) -> LeadImport:
    """Run a recorded import now when it is small, else queue it for a worker once the
    caller's transaction commits."""
    if lead_import.total_rows <= settings.CRM_IMPORT_SYNC_MAX_ROWS:
        return run_import(lead_import, raise_plan_limit=raise_plan_limit)
    transaction.on_commit(lambda: queue_job(IMPORT_JOB, lead_import.pk))
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

    Raises InvalidInput for an empty file, a file with NUL characters (naming their rows),
    an unknown option or a mapping that names columns or fields that do not exist, and
    PlanLimitReached when a small file's new leads would cross the plan's limit (the import
    is kept, failed, with nothing written; a large one reports it on the import itself).
    """
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    if on_duplicate not in LeadImport.OnDuplicate.values:
        raise InvalidInput(
            details=[field_error("on_duplicate", "invalid_choice", "Use update or skip.")]
        )
    header = refuse_unstorable_file(csv_text)
    resolve_mapping(header, mapping or {})
    lead_import = LeadImport.objects.create(
        csv_text=csv_text,
        mapping=mapping or {},
        on_duplicate=on_duplicate,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        created_by=actor,
        total_rows=estimated_rows(csv_text),  # an estimate until the rows are read
    )
    return run_or_queue(lead_import, raise_plan_limit=True)
