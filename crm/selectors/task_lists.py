"""The tasks page's lists: mine, due today, overdue, upcoming, done and all, each with its
count. "Today" is the day in the active time zone (the workspace's), not in UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from crm.models import Lead, Task
from crm.selectors.leads import LeadFilter, filter_leads

SHOWN = 100  # rows a tab shows; the count above it is exact
LEAD_CHOICES = 10


@dataclass(frozen=True)
class TaskTab:
    key: str
    label: str
    count: int


def sees_every_task(user: User) -> bool:
    """Admins and the owner oversee the team's tasks; a member's lists are their own."""
    return user.role in (User.Role.OWNER, User.Role.ADMIN)


def tab_keys(user: User) -> list[str]:
    keys = ["mine", "today", "overdue", "upcoming", "done"]
    return [*keys, "all"] if sees_every_task(user) else keys


LABELS = {
    "mine": "Mine",
    "today": "Due today",
    "overdue": "Overdue",
    "upcoming": "Upcoming",
    "done": "Done",
    "all": "All",
}


def _today(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)
    return start, start + timedelta(days=1)


def tab_tasks(tab: str, *, user: User, now: datetime | None = None) -> QuerySet[Task]:
    """The tasks of one tab, in the order the tab shows them; an unknown tab is "mine"."""
    now = now or timezone.now()
    start, end = _today(now)
    tasks = Task.objects.select_related("lead", "assignee")
    scope = tasks if sees_every_task(user) else tasks.filter(assignee=user)
    open_tasks = scope.filter(done_at__isnull=True)
    soonest = (F("due_at").asc(nulls_last=True), "id")
    if tab == "today":
        return open_tasks.filter(due_at__gte=start, due_at__lt=end).order_by(*soonest)
    if tab == "overdue":
        return open_tasks.filter(due_at__lt=now).order_by(*soonest)
    if tab == "upcoming":
        return open_tasks.filter(due_at__gte=end).order_by(*soonest)
    if tab == "done":
        return scope.filter(done_at__isnull=False).order_by("-done_at", "-id")
    if tab == "all" and sees_every_task(user):
        # Open tasks first, soonest due; then the done ones, latest first.
        return tasks.order_by(F("done_at").desc(nulls_first=True), *soonest)
    return tasks.filter(assignee=user, done_at__isnull=True).order_by(*soonest)


def task_tabs(*, user: User, now: datetime | None = None) -> list[TaskTab]:
    now = now or timezone.now()
    return [
        TaskTab(key, LABELS[key], tab_tasks(key, user=user, now=now).order_by().count())
        for key in tab_keys(user)
    ]


def lead_choices(query: str) -> list[Lead]:
    """The leads a task can be linked to, found by name, email or company."""
    query = query.replace("\x00", "").strip()[:200]  # PostgreSQL text cannot hold NUL
    if not query:
        return []
    return list(filter_leads(LeadFilter(q=query)).order_by("-created_at")[:LEAD_CHOICES])
