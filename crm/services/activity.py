"""Tasks and messages: the day-to-day work with leads."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action
from crm.models import Lead, Message, Task
from crm.services.records import create_record, delete_record, update_record
from project.errors import InvalidInput, field_error

TASK_FIELDS = ["title", "notes", "due_at", "assignee", "lead", "done_at"]
MESSAGE_FIELDS = ["lead", "channel", "direction", "subject", "status", "occurred_at"]
# A logged message happened elsewhere; queued and sending belong to our own delivery, which
# would otherwise pick a logged "queued" email up and send it.
LOGGABLE_STATUSES = [
    status
    for status in Message.Status.values
    if status not in ("queued", "sending", "suppressed", "cancelled")
]


def clean_task(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    if "title" in cleaned:
        cleaned["title"] = str(cleaned["title"] or "").strip()
        if not cleaned["title"] or len(cleaned["title"]) > 200:
            errors.append(field_error("title", "invalid_length", "Give 1 to 200 characters."))
    if "done" in cleaned:
        done = cleaned.pop("done")
        was_done = getattr(current, "done_at", None)
        cleaned["done_at"] = (was_done or timezone.now()) if done else None
    if cleaned.get("assignee") is not None:
        cleaned["assignee"] = User.objects.filter(pk=cleaned["assignee"], is_active=True).first()
        if cleaned["assignee"] is None:
            errors.append(
                field_error("assignee", "unknown_assignee", "No active member with this id.")
            )
    if cleaned.get("lead") is not None:
        cleaned["lead"] = Lead.objects.filter(pk=cleaned["lead"]).first()
        if cleaned["lead"] is None:
            errors.append(field_error("lead", "unknown_lead", "No lead with this id."))
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


def create_task(*, actor: User | None, **values: Any) -> Task:
    return create_record(
        Task,
        actor=actor,
        action=Action.MANAGE_TASKS,
        values=values,
        clean=clean_task,
        fields=TASK_FIELDS,
        conflict_message="Task conflict.",
    )


def update_task(*, actor: User | None, task_id: int, changes: dict[str, Any]) -> Task:
    return update_record(
        Task,
        actor=actor,
        action=Action.MANAGE_TASKS,
        record_id=task_id,
        changes=changes,
        clean=clean_task,
        fields=TASK_FIELDS,
        conflict_message="Task conflict.",
    )


def delete_task(*, actor: User | None, task_id: int) -> None:
    delete_record(
        Task, actor=actor, action=Action.MANAGE_TASKS, record_id=task_id, fields=["title"]
    )


def clean_message(values: dict[str, Any], current: models.Model | None) -> dict[str, Any]:
    cleaned, errors = dict(values), list[dict[str, str]]()
    lead = Lead.objects.filter(pk=int(cleaned.get("lead") or 0)).first()
    if lead is None:
        errors.append(field_error("lead", "unknown_lead", "No lead with this id."))
    cleaned["lead"] = lead
    for name, choices in (
        ("channel", Message.Channel.values),
        ("direction", Message.Direction.values),
        ("status", LOGGABLE_STATUSES),
    ):
        if name in cleaned and cleaned[name] not in choices:
            errors.append(field_error(name, "invalid_choice", f"Use one of: {', '.join(choices)}."))
    if cleaned.get("occurred_at") is None:
        cleaned["occurred_at"] = timezone.now()
    if errors:
        raise InvalidInput(details=errors)
    return cleaned


@transaction.atomic
def log_message(*, actor: User | None, **values: Any) -> Message:
    """Record an interaction with a lead and move its last-contacted time forward."""
    values.setdefault("author", actor)
    message = create_record(
        Message,
        actor=actor,
        action=Action.MANAGE_MESSAGES,
        values=values,
        clean=clean_message,
        fields=MESSAGE_FIELDS,
        conflict_message="This message is already recorded.",
    )
    Lead.objects.filter(pk=message.lead_id).filter(
        models.Q(last_contacted_at__isnull=True)
        | models.Q(last_contacted_at__lt=message.occurred_at)
    ).update(last_contacted_at=message.occurred_at)
    return message
