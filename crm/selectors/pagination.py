"""Keyset (cursor) pagination: stable while rows are inserted, as fast on page 400 as page 1.

The cursor is opaque to clients: base64 of the last row's sort value and id.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from crm.errors import MalformedCursor
from project.inputs import storable_datetime

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next: str | None
    total: int | None = None


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = {"dt": value.isoformat()}
    raw = json.dumps({"s": sort, "v": value, "id": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        value, row_id = data["v"], int(data["id"])
        if data["s"] != sort:
            raise ValueError("cursor of another sort order")
        if isinstance(value, dict):
            value = storable_datetime(datetime.fromisoformat(value["dt"]))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise MalformedCursor() from error
    return value, row_id


def paginate(
    queryset: QuerySet[Any], *, sort: str, limit: int, cursor: str | None, with_total: bool = False
) -> Page:
    """One page of `queryset` ordered by `sort` ("created_at" or "-created_at"...) then id."""
    field = sort.lstrip("-")
    descending = sort.startswith("-")
    total = queryset.count() if with_total else None
    ordered = (
        queryset.order_by(f"-{field}", "-id") if descending else queryset.order_by(field, "id")
    )
    if cursor:
        value, row_id = decode_cursor(cursor, sort)
        model_field = queryset.model._meta.get_field(field)
        try:  # a forged cursor may carry a value of the wrong type for the sort field
            value = model_field.to_python(value)
        except (ValidationError, TypeError, ValueError) as error:
            raise MalformedCursor() from error
        if value is None and not model_field.null:
            raise MalformedCursor()
        ordered = ordered.filter(
            _after(field, value, row_id, descending=descending, nullable=model_field.null)
        )
    rows = list(ordered[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        if isinstance(last, dict):  # a .values() queryset: rows are plain dicts
            next_cursor = encode_cursor(sort, last[field], last["id"])
        else:
            next_cursor = encode_cursor(sort, getattr(last, field), last.pk)
    return Page(rows, next_cursor, total)


def _after(field: str, value: Any, row_id: int, *, descending: bool, nullable: bool) -> Q:
    """The rows after (value, row_id) in PostgreSQL's order: NULLs sort last ascending and
    first descending, so a NULL value is at one end of the order and never compares."""
    if value is None:
        if descending:  # the NULLs come first: the rest of them, then every value
            return Q(**{f"{field}__isnull": True, "id__lt": row_id}) | Q(
                **{f"{field}__isnull": False}
            )
        return Q(**{f"{field}__isnull": True, "id__gt": row_id})
    if descending:
        return Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": row_id})
    later = Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": row_id})
    return later | Q(**{f"{field}__isnull": True}) if nullable else later
