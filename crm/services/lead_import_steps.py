"""The app's import in steps: upload a file, choose its mapping and see a dry run of it, then
import it. Every step works on one LeadImport row, a dry run until the person confirms, so the
file stays in the workspace's own schema between steps, the API's engine does every check and
write (crm.services.lead_import), and a confirmed import runs once however often it is sent.

A row's step is read from it: a dry run with no mapping yet is an upload waiting for its
mapping, a dry run with one is a preview, anything else is the import itself."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.errors import ImportAlreadyStarted, ImportStillChecking
from crm.models import LeadImport
from crm.selectors.records import get_record
from crm.services.lead_import import (
    estimated_rows,
    refuse_unstorable_file,
    run_or_queue,
)
from crm.services.lead_import_rows import read_header, resolve_mapping
from project.errors import InvalidInput, field_error

RUNNING = (LeadImport.Status.VALIDATING, LeadImport.Status.WRITING)
# What a run writes, cleared before the row runs again so no figure of the last run lingers.
FRESH_OUTCOME = {
    "processed_rows": 0,
    "created_count": 0,
    "updated_count": 0,
    "skipped_count": 0,
    "error_count": 0,
    "errors": [],
    "failure": "",
    "finished_at": None,
}


def upload_import(*, actor: User, csv_text: str) -> LeadImport:
    """Keep an uploaded file as an import waiting for its mapping; nothing is checked or
    written yet. Raises InvalidInput for an empty file or one with NUL characters."""
    require(actor, Action.MANAGE_LEADS)
    refuse_unstorable_file(csv_text)
    return LeadImport.objects.create(
        csv_text=csv_text,
        mapping={},
        dry_run=True,
        created_by=actor,
        total_rows=estimated_rows(csv_text),
    )


def preview_import(
    *, actor: User, import_id: int, mapping: dict[str, str], on_duplicate: str
) -> LeadImport:
    """Set an uploaded file's mapping and duplicate rule and check every row again (a dry
    run: in the request for a small file, by a worker for a large one).

    Raises InvalidInput for an empty mapping, a bad option or unknown columns or fields,
    ImportAlreadyStarted once the import has been confirmed, ImportStillChecking while a
    worker is checking the rows."""
    require(actor, Action.MANAGE_LEADS)
    if not mapping:
        raise InvalidInput(
            details=[
                field_error("mapping", "empty", "Choose a lead field for at least one column.")
            ]
        )
    if on_duplicate not in LeadImport.OnDuplicate.values:
        raise InvalidInput(
            details=[field_error("on_duplicate", "invalid_choice", "Use update or skip.")]
        )
    with transaction.atomic():
        lead_import = _locked(import_id)
        if not lead_import.dry_run:
            raise ImportAlreadyStarted()
        if lead_import.status in RUNNING:
            raise ImportStillChecking()
        resolve_mapping(read_header(lead_import.csv_text), mapping)
        _reset(
            lead_import,
            mapping=mapping,
            on_duplicate=on_duplicate,
            status=LeadImport.Status.PENDING,
        )
    return run_or_queue(lead_import)


def confirm_import(*, actor: User, import_id: int, skip_bad_rows: bool) -> LeadImport:
    """Turn a finished preview into the real import and run it, once: confirming again
    (a refresh, a second click) returns the import as it stands and writes nothing more.

    Raises ImportStillChecking while the preview is not finished or has no mapping yet."""
    require(actor, Action.MANAGE_LEADS)
    with transaction.atomic():
        lead_import = _locked(import_id)
        if not lead_import.dry_run:
            return lead_import
        if lead_import.status != LeadImport.Status.DONE or not lead_import.mapping:
            raise ImportStillChecking()
        _reset(
            lead_import,
            dry_run=False,
            skip_bad_rows=skip_bad_rows,
            status=LeadImport.Status.PENDING,
        )
    return run_or_queue(lead_import)


def _locked(import_id: int) -> LeadImport:
    get_record(LeadImport, import_id)  # the 404 names what was asked for
    return LeadImport.objects.select_for_update().get(pk=import_id)


def _reset(lead_import: LeadImport, **fields: object) -> None:
    for name, value in {**FRESH_OUTCOME, **fields}.items():
        setattr(lead_import, name, value)
    lead_import.save()
