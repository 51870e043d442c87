"""CSV export, streamed: pages of 2,000 by id, so memory stays flat at any size.

Every cell is text a spreadsheet opens safely: a value that a spreadsheet would run as a
formula is neutralised (OWASP's rule), and every time is ISO 8601 with its offset.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django_tenants.utils import schema_context

from crm.lead_fields import EXPORT_COLUMNS
from crm.models import Lead
from tenants.schemas import current_schema

PAGE = 2000
# A cell starting with one of these is a formula (or starts one) in Excel, LibreOffice and
# Google Sheets: https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading apostrophe, which
    spreadsheets hide, before a value that starts like a formula."""
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def restore_neutralised(text: str) -> str:
    """neutralise_formula undone, so that an export imports again as the same leads."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def _value(lead: Lead, name: str) -> object:
    if name == "stage":
        return lead.stage.name if lead.stage else ""
    if name == "owner":
        return lead.owner.email if lead.owner else ""
    if name == "tags":
        return ";".join(lead.tags)
    if name == "custom_fields":
        return json.dumps(lead.custom_fields, sort_keys=True) if lead.custom_fields else ""
    return getattr(lead, name)


def spreadsheet_cell(value: object) -> object:
    """One value as a CSV cell any spreadsheet opens safely (also the payments export's)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise_formula(value)
    return value  # ids and yes/no: numbers and words no spreadsheet evaluates


def _row(lead: Lead) -> list[object]:
    return [spreadsheet_cell(_value(lead, name)) for name in EXPORT_COLUMNS]


def export_rows(leads: QuerySet[Lead]) -> Iterator[str]:
    """The leads as CSV lines. The schema is fixed now: the lines are read later, while the
    response streams, and must come from this workspace whatever the connection serves by
    then."""
    return _export_lines(leads, current_schema())


def _export_lines(leads: QuerySet[Lead], schema: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    last_id = 0
    page = leads.select_related("stage", "owner").order_by("id")
    while True:
        with schema_context(schema):
            batch = list(page.filter(id__gt=last_id)[:PAGE])
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(lead) for lead in batch)
        yield buffer.getvalue()
        last_id = batch[-1].pk
