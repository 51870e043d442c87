"""CSV export, streamed: pages of 2,000 by id, so memory stays flat at any size."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import QuerySet

from crm.models import Lead

EXPORT_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "source_detail",
    "tags",
    "status",
    "stage",
    "owner",
    "consent",
    "unsubscribed_at",
    "last_contacted_at",
    "created_at",
    "updated_at",
    "custom_fields",
    "notes",
]
PAGE = 2000


def _row(lead: Lead) -> list[object]:
    return [
        lead.pk,
        lead.first_name,
        lead.last_name,
        lead.email or "",
        lead.phone,
        lead.company,
        lead.source,
        lead.source_detail,
        ";".join(lead.tags),
        lead.status,
        lead.stage.name if lead.stage else "",
        lead.owner.email if lead.owner else "",
        lead.consent,
        lead.unsubscribed_at or "",
        lead.last_contacted_at or "",
        lead.created_at.isoformat(),
        lead.updated_at.isoformat(),
        json.dumps(lead.custom_fields, sort_keys=True) if lead.custom_fields else "",
        lead.notes,
    ]


def export_rows(leads: QuerySet[Lead]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    last_id = 0
    page = leads.select_related("stage", "owner").order_by("id")
    while True:
        batch = list(page.filter(id__gt=last_id)[:PAGE])
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_row(lead) for lead in batch)
        yield buffer.getvalue()
        last_id = batch[-1].pk
