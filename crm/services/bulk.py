"""Bulk lead actions on a list of ids or a filter: one statement, one event per lead."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.events import RecordEvent
from crm.models import EventLog, Lead, PipelineStage
from crm.selectors.leads import LeadFilter, filter_leads
from crm.services.tag_catalogue import forget_unused_tags, remember_tags
from project.errors import InvalidInput, field_error


class BulkAction(StrEnum):
    TAG = "tag"
    UNTAG = "untag"
    ASSIGN_OWNER = "assign_owner"
    MOVE_STAGE = "move_stage"
    DELETE = "delete"


@dataclass(frozen=True)
class BulkResult:
    action: str
    affected: int


def _target_ids(ids: list[int] | None, criteria: LeadFilter | None) -> list[int]:
    if (ids is None) == (criteria is None):
        raise InvalidInput(
            details=[
                field_error("ids", "ids_or_filter", "Send either `ids` or `filter`, not both.")
            ]
        )
    leads = (
        Lead.objects.filter(pk__in=ids)
        if ids is not None
        else filter_leads(criteria or LeadFilter())
    )
    return list(leads.values_list("pk", flat=True))


def _tags(value: Any) -> list[str]:
    texts = isinstance(value, list) and all(isinstance(tag, str) for tag in value)
    tags = sorted({tag.strip().lower() for tag in value if tag.strip()}) if texts else []
    if not tags or any(len(tag) > 50 for tag in tags):
        raise InvalidInput(
            details=[
                field_error("value", "tags_required", "Give a list of tags of 1 to 50 characters.")
            ]
        )
    return tags


@transaction.atomic
def run_bulk_action(
    *,
    actor: User | None,
    action: str,
    value: Any = None,
    ids: list[int] | None = None,
    criteria: LeadFilter | None = None,
) -> BulkResult:
    """Apply one action to many leads; all or nothing. Ids of other workspaces match nothing."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    if action not in BulkAction.__members__.values():
        raise InvalidInput(
            details=[
                field_error("action", "invalid_choice", f"Use one of: {', '.join(BulkAction)}.")
            ]
        )
    if action in (BulkAction.ASSIGN_OWNER, BulkAction.MOVE_STAGE) and not (
        value is None or (isinstance(value, int) and not isinstance(value, bool))
    ):
        raise InvalidInput(
            details=[field_error("value", "invalid_id", "Give the id (a number) or null.")]
        )
    target = _target_ids(ids, criteria)
    now = timezone.now()
    changes: dict[str, Any]
    with connection.cursor() as cursor:
        if action == BulkAction.TAG:
            tags = _tags(value)
            cursor.execute(
                "UPDATE crm_lead SET updated_at = %s, tags = ARRAY(SELECT DISTINCT t FROM "
                "unnest(tags || %s::varchar[]) AS t ORDER BY t) WHERE id = ANY(%s)",
                [now, tags, target],
            )
            changes = {"tags": {"added": tags}}
            remember_tags(tags)
        elif action == BulkAction.UNTAG:
            tags = _tags(value)
            cursor.execute(
                "UPDATE crm_lead SET updated_at = %s, tags = ARRAY(SELECT t FROM unnest(tags) "
                "AS t WHERE NOT t = ANY(%s::varchar[]) ORDER BY t) WHERE id = ANY(%s)",
                [now, tags, target],
            )
            changes = {"tags": {"removed": tags}}
            forget_unused_tags(tags)
        elif action == BulkAction.ASSIGN_OWNER:
            if value is not None and not User.objects.filter(pk=value, is_active=True).exists():
                raise InvalidInput(
                    details=[
                        field_error("value", "unknown_owner", "No active member with this id.")
                    ]
                )
            Lead.objects.filter(pk__in=target).update(owner_id=value, updated_at=now)
            changes = {"owner": {"after": value}}
        elif action == BulkAction.MOVE_STAGE:
            if value is not None and not PipelineStage.objects.filter(pk=value).exists():
                raise InvalidInput(
                    details=[
                        field_error("value", "unknown_stage", "No pipeline stage with this id.")
                    ]
                )
            Lead.objects.filter(pk__in=target).update(stage_id=value, updated_at=now)
            changes = {"stage": {"after": value}}
        else:
            changes = {"deleted": {"before": False, "after": True}}
    EventLog.objects.bulk_create(
        [
            EventLog(
                actor=actor,
                verb=RecordEvent.DELETED if action == BulkAction.DELETE else RecordEvent.UPDATED,
                object_type="lead",
                object_id=lead_id,
                changes={**changes, "bulk": action},
                at=now,
            )
            for lead_id in target
        ],
        batch_size=2000,
    )
    if action == BulkAction.DELETE:
        Lead.objects.filter(pk__in=target).delete()
    return BulkResult(action, len(target))
