"""A lead's timeline a page at a time: its messages (emails, calls, meetings, notes), the
events of its log and its tasks, newest first, each source read through its own index.

The cursor is opaque: base64 of the last entry's time, kind and id. Entries are ordered by
(time, kind, id), so a page boundary between two entries of the same instant is exact."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from crm.errors import MalformedCursor
from crm.models import EventLog, Lead, Message, Task
from project.inputs import storable_datetime

KINDS = ("event", "message", "task")


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # event | message | task
    at: datetime
    id: int
    record: Any  # the EventLog, Message or Task itself

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next: str | None


def _encode(item: TimelineItem) -> str:
    raw = json.dumps({"at": item.at.isoformat(), "k": item.kind, "id": item.id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        at = storable_datetime(datetime.fromisoformat(data["at"]))
        kind, row_id = str(data["k"]), int(data["id"])
        if kind not in KINDS:
            raise ValueError(kind)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedCursor() from error
    return at, kind, row_id


def _older(rows: QuerySet[Any], kind: str, field: str, after: tuple[datetime, str, int]) -> Any:
    """Rows of one kind that come after the cursor in (time, kind, id) descending order."""
    at, cursor_kind, row_id = after
    if kind < cursor_kind:
        return rows.filter(**{f"{field}__lte": at})
    if kind == cursor_kind:
        return rows.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": row_id}))
    return rows.filter(**{f"{field}__lt": at})


def timeline_page(lead: Lead, *, limit: int, cursor: str | None = None) -> TimelinePage:
    """`limit` entries older than `cursor` (from the newest without one): three indexed
    queries of at most limit + 1 rows each, whatever the length of the history."""
    after = _decode(cursor) if cursor else None
    sources: list[tuple[str, str, QuerySet[Any]]] = [
        ("message", "occurred_at", Message.objects.filter(lead=lead).select_related("author")),
        (
            "event",
            "at",
            EventLog.objects.filter(object_type="lead", object_id=lead.pk).select_related("actor"),
        ),
        ("task", "created_at", Task.objects.filter(lead=lead).select_related("assignee")),
    ]
    items: list[TimelineItem] = []
    for kind, field, rows in sources:
        if after is not None:
            rows = _older(rows, kind, field, after)
        items += [
            TimelineItem(kind, getattr(row, field), row.pk, row)
            for row in rows.order_by(f"-{field}", "-id")[: limit + 1]
        ]
    items.sort(key=lambda item: item.key, reverse=True)
    shown = items[:limit]
    return TimelinePage(shown, _encode(shown[-1]) if len(items) > limit else None)
