"""/api/v1/tasks, /messages and a lead's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from crm.models import Message, Task
from crm.selectors.activity import filter_messages, filter_tasks, lead_timeline
from crm.selectors.leads import get_lead
from crm.selectors.pagination import MAX_LIMIT, paginate
from crm.selectors.records import get_record
from crm.services.activity import create_task, delete_task, log_message, update_task
from project.inputs import Omittable, StorableDatetime

tasks_router = Router(tags=["tasks"])
messages_router = Router(tags=["messages"])
timeline_router = Router(tags=["leads"])
FORBID = ConfigDict(extra="forbid")


class TaskOut(Schema):
    id: int
    title: str
    notes: str
    due_at: datetime | None
    assignee: int | None = Field(None, alias="assignee_id")
    lead: int | None = Field(None, alias="lead_id")
    done_at: datetime | None
    created_at: datetime


class TaskIn(Schema):
    title: str
    notes: str = ""
    due_at: StorableDatetime | None = None
    assignee: int | None = None
    lead: int | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"title": "Call back about the course", "due_at": "2026-12-01T10:00:00Z", "lead": 1}
            ]
        },
    )


class TaskPatch(Schema):
    title: Omittable[str] = None
    notes: Omittable[str] = None
    due_at: StorableDatetime | None = None
    assignee: int | None = None
    lead: int | None = None
    done: Omittable[bool] = None
    model_config = FORBID


class TaskParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None
    assignee: int | None = None
    lead: int | None = None
    done: bool | None = None
    overdue: bool | None = None


class TaskPage(Schema):
    items: list[TaskOut]
    next: str | None


class MessageOut(Schema):
    id: int
    lead: int = Field(..., alias="lead_id")
    channel: str
    direction: str
    subject: str
    body: str
    status: str
    provider_id: str
    campaign: int | None = Field(None, alias="campaign_id")
    author: int | None = Field(None, alias="author_id")
    occurred_at: datetime


class MessageIn(Schema):
    lead: int
    channel: str
    direction: str = Message.Direction.OUTBOUND
    subject: Annotated[str, StringConstraints(max_length=255)] = ""
    body: str = ""
    status: str = Message.Status.SENT
    occurred_at: StorableDatetime | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"lead": 1, "channel": "call", "body": "Discussed the spring cohort."}]
        },
    )


class MessageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None
    lead: int | None = None
    channel: str | None = None
    campaign: int | None = None


class MessagePage(Schema):
    items: list[MessageOut]
    next: str | None


class TimelineOut(Schema):
    kind: str
    id: int
    at: datetime
    summary: str
    data: dict[str, Any]


@tasks_router.get("", response=TaskPage)
def list_tasks(request: HttpRequest, params: Query[TaskParams]) -> dict[str, Any]:
    """Tasks, newest first; `overdue=true` for open tasks past their due time."""
    tasks = filter_tasks(
        assignee=params.assignee, lead=params.lead, done=params.done, overdue=params.overdue
    )
    page = paginate(tasks, sort="-id", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}


@tasks_router.post("", response={201: TaskOut})
def post_task(request: HttpRequest, payload: TaskIn) -> Status:
    return Status(201, create_task(actor=acting_user(request), **payload.model_dump()))


@tasks_router.get("/{int:task_id}", response=TaskOut)
def get_task(request: HttpRequest, task_id: int) -> Task:
    return get_record(Task, task_id)


@tasks_router.patch("/{int:task_id}", response=TaskOut)
def patch_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Task:
    """Change the fields sent; `done: true` completes the task."""
    return update_task(
        actor=acting_user(request), task_id=task_id, changes=payload.model_dump(exclude_unset=True)
    )


@tasks_router.delete("/{int:task_id}", response={204: None})
def remove_task(request: HttpRequest, task_id: int) -> Status:
    delete_task(actor=acting_user(request), task_id=task_id)
    return Status(204, None)


@messages_router.get("", response=MessagePage)
def list_messages(request: HttpRequest, params: Query[MessageParams]) -> dict[str, Any]:
    messages = filter_messages(lead=params.lead, channel=params.channel, campaign=params.campaign)
    page = paginate(messages, sort="-id", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}


@messages_router.post("", response={201: MessageOut})
def post_message(request: HttpRequest, payload: MessageIn) -> Status:
    """Log an interaction (call, meeting, note...); it moves the lead's last-contacted time."""
    return Status(201, log_message(actor=acting_user(request), **payload.model_dump()))


@timeline_router.get("/{int:lead_id}/timeline", response=list[TimelineOut])
def get_timeline(
    request: HttpRequest, lead_id: int, limit: int = Query(50, ge=1, le=MAX_LIMIT)
) -> list[Any]:
    """Messages, events and tasks of the lead, newest first."""
    return lead_timeline(get_lead(lead_id), limit=limit)
