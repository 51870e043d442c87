"""The event log: every service that changes CRM data writes one row in its transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from accounts.models import User
from crm.models import EventLog


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before": x, "after": y}} for the fields that changed."""
    return {
        field: {"before": before.get(field), "after": value}
        for field, value in after.items()
        if before.get(field) != value
    }


def record_event(
    *, actor: User | None, verb: str, obj: models.Model, changes: dict[str, Any] | None = None
) -> EventLog:
    return EventLog.objects.create(
        actor=actor,
        verb=verb,
        object_type=obj._meta.model_name or "",
        object_id=obj.pk,
        changes=changes or {},
    )
