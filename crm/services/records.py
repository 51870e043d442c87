"""The steps every CRM write shares: permission, clean, save, event, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.events import RecordEvent
from crm.selectors.records import get_record
from crm.services.events import diff, record_event, snapshot
from project.errors import Conflict, NotFound

M = TypeVar("M", bound=models.Model)
Cleaner = Callable[[dict[str, Any], models.Model | None], dict[str, Any]]


def _save(record: models.Model, conflict_message: str) -> None:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        raise Conflict(conflict_message) from None


@transaction.atomic
def create_record(
    model: type[M],
    *,
    actor: User | None,
    action: Action,
    values: dict[str, Any],
    clean: Cleaner,
    fields: list[str],
    conflict_message: str,
) -> M:
    if actor is not None:
        require(actor, action)
    record = model(**clean(values, None))
    _save(record, conflict_message)
    record_event(
        actor=actor,
        verb=RecordEvent.CREATED,
        obj=record,
        changes=diff({}, snapshot(record, fields)),
    )
    return record


@transaction.atomic
def update_record(
    model: type[M],
    *,
    actor: User | None,
    action: Action,
    record_id: int,
    changes: dict[str, Any],
    clean: Cleaner,
    fields: list[str],
    conflict_message: str,
) -> M:
    if actor is not None:
        require(actor, action)
    record = model._default_manager.select_for_update().filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"No {model._meta.verbose_name} with this id.")
    cleaned = clean(changes, record)
    before = snapshot(record, list(cleaned))
    for name, value in cleaned.items():
        setattr(record, name, value)
    _save(record, conflict_message)
    changed = diff(before, snapshot(record, list(cleaned)))
    if changed:
        record_event(actor=actor, verb=RecordEvent.UPDATED, obj=record, changes=changed)
    return record


@transaction.atomic
def delete_record(
    model: type[M], *, actor: User | None, action: Action, record_id: int, fields: list[str]
) -> None:
    if actor is not None:
        require(actor, action)
    record = get_record(model, record_id)
    gone = snapshot(record, fields)
    record_event(
        actor=actor,
        verb=RecordEvent.DELETED,
        obj=record,
        changes={name: {"before": value, "after": None} for name, value in gone.items()},
    )
    record.delete()
