"""/api/v1/events: the event log, newest first, filterable by object."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from crm.selectors.activity import filter_events
from crm.selectors.pagination import MAX_LIMIT, paginate

router = Router(tags=["events"])


class EventOut(Schema):
    id: int
    actor: int | None = Field(None, alias="actor_id")
    verb: str
    object_type: str
    object_id: int
    changes: dict[str, Any]
    at: datetime


class EventParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None
    object_type: str | None = None
    object_id: int | None = None


class EventPage(Schema):
    items: list[EventOut]
    next: str | None


@router.get("", response=EventPage)
def list_events(request: HttpRequest, params: Query[EventParams]) -> dict[str, Any]:
    events = filter_events(object_type=params.object_type, object_id=params.object_id)
    page = paginate(events, sort="-at", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}
