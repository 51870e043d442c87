"""How a lead's page words its timeline: each entry (a message, an event, a task) as a line
a person reads, with the names of stages and people rather than their ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accounts.models import User
from crm.events import RecordEvent
from crm.models import EventLog, Lead, Message, PipelineStage, Task
from crm.selectors.activity import event_summary
from crm.selectors.timeline import TimelineItem

STATUS_LABELS = dict(Lead.Status.choices)
FIELD_LABELS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "phone": "phone",
    "company": "company",
    "source": "source",
    "source_detail": "source detail",
    "notes": "notes",
    "consent": "consent",
    "sms_consent": "SMS consent",
}
# How an unsubscribe arrived, as outreach records it in the event's `via`.
UNSUBSCRIBED_VIA = {
    "page": "On the unsubscribe page",
    "one_click": "With the unsubscribe button of their mail app",
    "postmark": "Through Postmark's unsubscribe link",
}
CHANNEL_ICONS = {"email": "mail", "call": "phone", "meeting": "calendar", "note": "note"}


@dataclass
class Shown:
    """One entry of the timeline as the page draws it."""

    item: TimelineItem
    icon: str
    title: str
    lines: list[str] = field(default_factory=list)
    body: str = ""
    badge: str = ""
    badge_class: str = ""
    who: str = ""

    @property
    def record(self) -> Any:
        return self.item.record


class Names:
    """Stage and member names for the ids an event log row carries."""

    def __init__(self, stages: list[PipelineStage], members: list[User]) -> None:
        self.stages = {stage.pk: stage.name for stage in stages}
        self.members = {member.pk: member.display_name for member in members}

    def stage(self, stage_id: Any) -> str:
        return self.stages.get(stage_id, "a removed stage") if stage_id else "no stage"

    def member(self, user_id: Any) -> str:
        return self.members.get(user_id, "a former member") if user_id else "nobody"


def _move(label: str, change: dict[str, Any], name: Any) -> str:
    after = name(change.get("after"))
    if "before" not in change:
        return f"{label} set to {after}"
    return f"{label}: {name(change.get('before'))} → {after}"


def _tag_lines(change: dict[str, Any]) -> list[str]:
    if "added" in change or "removed" in change:
        added, removed = change.get("added") or [], change.get("removed") or []
    else:
        before, after = set(change.get("before") or []), set(change.get("after") or [])
        added, removed = sorted(after - before), sorted(before - after)
    lines = []
    if added:
        lines.append(f"Tagged {', '.join(added)}")
    if removed:
        lines.append(f"Untagged {', '.join(removed)}")
    return lines


def change_lines(changes: dict[str, Any], names: Names) -> list[str]:
    """An update's changes, one line each, in the order a person cares about."""
    lines: list[str] = []
    if "stage" in changes:
        lines.append(_move("Stage", changes["stage"], names.stage))
    if "status" in changes:
        lines.append(
            _move("Status", changes["status"], lambda v: STATUS_LABELS.get(v, v or "none"))
        )
    if "owner" in changes:
        lines.append(_move("Owner", changes["owner"], names.member))
    if "tags" in changes:
        lines += _tag_lines(changes["tags"])
    if "custom_fields" in changes:
        before = changes["custom_fields"].get("before") or {}
        after = changes["custom_fields"].get("after") or {}
        keys = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
        lines.append(
            f"Custom fields changed: {', '.join(keys)}" if keys else "Custom fields changed"
        )
    edited = [label for name, label in FIELD_LABELS.items() if name in changes]
    if edited:
        lines.append(f"Changed {', '.join(edited)}")
    return lines


def _event(item: TimelineItem, event: EventLog, names: Names) -> Shown:
    who = event.actor.display_name if event.actor else ""
    changes = event.changes or {}
    if event.verb == RecordEvent.CREATED:
        source = " by an import" if "import" in changes else ""
        return Shown(item, "plus", f"Lead created{source}", who=who)
    if event.verb == RecordEvent.UPDATED:
        lines = change_lines(changes, names)
        if "import" in changes:
            lines.append("Updated by an import")
        title = lines[0] if lines else "Lead updated"
        return Shown(item, "pencil", title, lines=lines[1:], who=who)
    if event.verb.startswith("payment_"):
        return _payment_event(item, event, who)
    title = event_summary(event.verb)
    lines = [f"“{changes['subject']}”"] if changes.get("subject") else []
    if changes.get("via"):
        via = str(changes["via"])
        lines.append(UNSUBSCRIBED_VIA.get(via, f"Via {via.replace('_', ' ')}"))
    if changes.get("reason"):
        lines.append(f"Reason: {str(changes['reason']).replace('_', ' ')}")
    return Shown(
        item, "mail" if event.verb.startswith("email_") else "bell", title, lines=lines, who=who
    )


DISPUTE_WORDS = {
    "warning_needs_response": "inquiry, needs a response",
    "warning_under_review": "inquiry under review",
    "warning_closed": "inquiry closed",
    "needs_response": "needs a response",
    "under_review": "under review",
    "won": "won",
    "lost": "lost",
}


def _payment_event(item: TimelineItem, event: EventLog, who: str) -> Shown:
    """A payment's events (billing writes them): the amount and product in the title."""
    changes = event.changes or {}
    title = event_summary(event.verb)
    amount, product = changes.get("amount_display"), changes.get("product")
    if event.verb == "payment_refunded" and changes.get("refunded_display"):
        title = f"{title}: {changes['refunded_display']} of {amount}"
        if not changes.get("full"):
            title = title.replace("Payment refunded", "Payment partly refunded")
    elif amount:
        title = f"{title}: {amount}"
    lines = [f"For {product}"] if product else []
    if changes.get("renewal"):
        lines.append("Subscription renewal")
    if changes.get("dispute_status"):
        status = str(changes["dispute_status"])
        lines.append(f"Dispute {DISPUTE_WORDS.get(status, status.replace('_', ' '))}")
    if changes.get("reason"):
        lines.append(f"Reason: {str(changes['reason']).replace('_', ' ')}")
    if event.verb == "payment_link_created":
        kind = "Checkout page" if changes.get("kind") == "checkout_session" else "Payment link"
        lines.insert(0, kind)
    return Shown(item, "bell", title, lines=lines, who=who)


def _message(item: TimelineItem, message: Message) -> Shown:
    who = message.author.display_name if message.author else ""
    icon = CHANNEL_ICONS.get(message.channel, "chat")
    if message.channel == Message.Channel.EMAIL:
        direction = (
            "Email received" if message.direction == Message.Direction.INBOUND else "Email sent"
        )
        if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
            direction = "Email to send"
        title = f"{direction}: {message.subject}" if message.subject else direction
        lines = [f"To {message.to_email}"] if message.to_email else []
        if message.error:
            lines.append(message.error)
        return Shown(
            item,
            icon,
            title,
            lines=lines,
            body=message.body,
            badge=message.get_status_display(),
            badge_class=f"message-{message.status}",
            who=who,
        )
    if message.channel == Message.Channel.SMS:
        return _text(item, message, who)
    title = message.get_channel_display()
    if message.subject:
        title = f"{title}: {message.subject}"
    return Shown(item, icon, title, body=message.body, who=who)


def _text(item: TimelineItem, message: Message, who: str) -> Shown:
    """A text either way: received from the lead, or sent (or still to send) to it."""
    if message.direction == Message.Direction.INBOUND:
        return Shown(item, "chat", "Text received", body=message.body)
    title = "Text sent"
    if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
        title = "Text to send"
    lines = [f"To {message.to_phone}"] if message.to_phone else []
    if message.error:
        lines.append(message.error)
    return Shown(
        item,
        "chat",
        title,
        lines=lines,
        body=message.body,
        badge=message.get_status_display(),
        badge_class=f"message-{message.status}",
        who=who,
    )


def _task(item: TimelineItem, task: Task) -> Shown:
    who = task.assignee.display_name if task.assignee else ""
    shown = Shown(item, "check", f"Task: {task.title}", who=f"for {who}" if who else "")
    shown.badge, shown.badge_class = (
        ("Done", "task-done") if task.done_at else ("Open", "task-open")
    )
    return shown


def show(items: list[TimelineItem], names: Names) -> list[Shown]:
    shown = []
    for item in items:
        if item.kind == "event":
            shown.append(_event(item, item.record, names))
        elif item.kind == "message":
            shown.append(_message(item, item.record))
        else:
            shown.append(_task(item, item.record))
    return shown
