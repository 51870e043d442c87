"""Reads of tasks, messages and a lead's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from crm.models import EventLog, Lead, Message, Task
from crm.selectors.timeline import TimelineItem, timeline_page


def filter_tasks(
    *,
    assignee: int | None = None,
    lead: int | None = None,
    done: bool | None = None,
    overdue: bool | None = None,
) -> QuerySet[Task]:
    tasks = Task.objects.all()
    if assignee is not None:
        tasks = tasks.filter(assignee_id=assignee)
    if lead is not None:
        tasks = tasks.filter(lead_id=lead)
    if done is not None:
        tasks = tasks.filter(done_at__isnull=not done)
    if overdue:
        tasks = tasks.filter(done_at__isnull=True, due_at__lt=timezone.now())
    return tasks


def filter_messages(
    *, lead: int | None = None, channel: str | None = None, campaign: int | None = None
) -> QuerySet[Message]:
    messages = Message.objects.all()
    if lead is not None:
        messages = messages.filter(lead_id=lead)
    if channel:
        messages = messages.filter(channel=channel)
    if campaign is not None:
        messages = messages.filter(campaign_id=campaign)
    return messages


def filter_events(
    *, object_type: str | None = None, object_id: int | None = None
) -> QuerySet[EventLog]:
    events = EventLog.objects.all()
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=object_id)
    return events


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # message | event | task
    id: int
    at: datetime
    summary: str
    data: dict[str, Any]


EVENT_SUMMARIES = {
    "sms_opted_out": "Opted out of texts",
    "sms_opted_in": "Opted in to texts",
    "sms_undeliverable": "Phone number marked undeliverable for texts",
    "sms_deliverable": "Phone number cleared for texts again",
    "sms_failed": "Text not delivered",
    "sms_received": "Texted the workspace",
    "unsubscribed": "Unsubscribed from marketing email",
    "resubscribed": "Subscribed to marketing email again",
    "suppressed": "Put on the do-not-email list",
    "email_queued": "Email queued",
    "sms_queued": "Text queued",
    "email_complaint": "Marked an email as spam",
    # Written by billing's payments (crm reads the words, never billing's code).
    "payment_received": "Payment received",
    "payment_refunded": "Payment refunded",
    "payment_disputed": "Payment disputed",
    "payment_dispute_closed": "Payment dispute closed",
    "payment_link_created": "Payment page made",
}


def channel_words(channel: str) -> str:
    """A channel as the middle of a sentence: "email", "call", but "SMS"."""
    if channel == Message.Channel.SMS:
        return "SMS"
    return str(dict(Message.Channel.choices).get(channel, channel)).lower()


def event_summary(verb: str) -> str:
    """How the timeline words an event: "Email opened", not "Lead email_opened"."""
    if verb in EVENT_SUMMARIES:
        return EVENT_SUMMARIES[verb]
    if verb.startswith("email_"):
        return f"Email {verb.removeprefix('email_').replace('_', ' ')}"
    if verb.startswith("sms_"):
        return f"Text {verb.removeprefix('sms_').replace('_', ' ')}"
    return f"Lead {verb}"


def lead_timeline(lead: Lead, *, limit: int) -> list[TimelineEntry]:
    """Messages, events and tasks of one lead, newest first (payments join later)."""
    return [timeline_entry(item) for item in timeline_page(lead, limit=limit).items]


def timeline_entry(item: TimelineItem) -> TimelineEntry:
    """One entry of the timeline as the API words it."""
    if item.kind == "message":
        m = item.record
        return TimelineEntry(
            "message",
            m.pk,
            m.occurred_at,
            f"{m.get_direction_display()} {channel_words(m.channel)}: {m.subject or m.body[:80]}",
            {"channel": m.channel, "direction": m.direction, "status": m.status},
        )
    if item.kind == "event":
        e = item.record
        return TimelineEntry(
            "event", e.pk, e.at, event_summary(e.verb), {"verb": e.verb, "changes": e.changes}
        )
    t = item.record
    return TimelineEntry(
        "task",
        t.pk,
        t.created_at,
        f"Task: {t.title}",
        {"due_at": t.due_at.isoformat() if t.due_at else None, "done": t.done_at is not None},
    )
