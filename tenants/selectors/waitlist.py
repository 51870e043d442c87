"""The waitlist as the console reads it: a searchable page, and every row as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from crm.selectors.export import neutralise_formula
from tenants.models import WaitlistEntry

PER_PAGE = 50
EXPORT_PAGE = 2000
EXPORT_COLUMNS = ("email", "joined", "ip")


@dataclass(frozen=True)
class WaitlistPage:
    entries: list[WaitlistEntry]
    query: str
    total: int
    number: int
    num_pages: int
    previous_number: int | None
    next_number: int | None


def _matching(query: str) -> QuerySet[WaitlistEntry]:
    entries = WaitlistEntry.objects.order_by("-created", "-pk")
    return entries.filter(email__icontains=query) if query else entries


def search_waitlist(*, query: str = "", page: int | str = 1) -> WaitlistPage:
    """Newest first, PER_PAGE a page, filtered by a part of the address (any case)."""
    query = query.strip()
    with schema_context(get_public_schema_name()):
        current = Paginator(_matching(query), PER_PAGE).get_page(page)
        return WaitlistPage(
            entries=list(current.object_list),
            query=query,
            total=current.paginator.count,
            number=current.number,
            num_pages=current.paginator.num_pages,
            previous_number=current.previous_page_number() if current.has_previous() else None,
            next_number=current.next_page_number() if current.has_next() else None,
        )


def waitlist_csv(*, query: str = "") -> Iterator[str]:
    """The matching entries as CSV, oldest first, streamed in pages by id. Every cell is
    safe to open in a spreadsheet: one that starts like a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    last_id = 0
    while True:
        with schema_context(get_public_schema_name()):
            batch = list(
                _matching(query.strip()).filter(pk__gt=last_id).order_by("pk")[:EXPORT_PAGE]
            )
        if not batch:
            return
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            [neutralise_formula(entry.email), entry.created.isoformat(), entry.ip or ""]
            for entry in batch
        )
        yield buffer.getvalue()
        last_id = batch[-1].pk
