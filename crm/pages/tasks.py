"""The tasks page: tabs (mine, due today, overdue, upcoming, done, all for admins), one-click
complete and assign by htmx, and a new task with a lead picker. Every change goes through
crm.services.activity, as the API's does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.selectors.team import team_members
from crm.models import Task
from crm.pages.common import workspace_page
from crm.selectors.leads import find_lead
from crm.selectors.records import get_record
from crm.selectors.task_lists import (
    SHOWN,
    lead_choices,
    sees_every_task,
    tab_keys,
    tab_tasks,
    task_tabs,
)
from crm.services.activity import create_task, update_task
from project.errors import InvalidInput
from project.inputs import storable_datetime
from project.pages import add_domain_errors, form_problems


def _member_choices() -> list[tuple[Any, str]]:
    return [(m.pk, m.display_name) for m in team_members().filter(is_active=True)]


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=200)
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="In the workspace's time zone.",
    )
    assignee = forms.TypedChoiceField(
        label="Assigned to", required=False, coerce=int, empty_value=None
    )
    lead = forms.IntegerField(label="Lead", required=False, min_value=1, max_value=2**63 - 1)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody yet"), *_member_choices()]  # type: ignore[attr-defined]

    def clean_due_at(self) -> datetime | None:
        due_at = self.cleaned_data["due_at"]
        if due_at is None:
            return None
        try:
            return storable_datetime(due_at)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody"), *_member_choices()]  # type: ignore[attr-defined]


def _tab(request: HttpRequest, user: User) -> str:
    tab = request.GET.get("tab") or request.POST.get("tab") or "mine"
    return tab if tab in tab_keys(user) else "mine"


def _mark_overdue(tasks: list[Task]) -> list[Task]:
    now = timezone.now()
    for task in tasks:
        task.overdue = task.done_at is None and task.due_at is not None and task.due_at < now  # type: ignore[attr-defined]
    return tasks


def _row(request: HttpRequest, task: Task, tab: str) -> HttpResponse:
    _mark_overdue([task])
    return render(
        request,
        "crm/tasks/_row.html",
        {"task": task, "tab": tab, "members": _member_choices()},
    )


def _back(request: HttpRequest, task: Task, tab: str, text: str) -> HttpResponse:
    """htmx gets the task's row again; a plain form post gets the list and a message."""
    if request.htmx:  # type: ignore[attr-defined]
        return _row(request, task, tab)
    messages.success(request, text)
    return redirect(f"/tasks/?tab={tab}")


@workspace_page
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    tab = _tab(request, user)
    tasks = _mark_overdue(list(tab_tasks(tab, user=user)[:SHOWN]))
    tabs = task_tabs(user=user)
    return render(
        request,
        "crm/tasks/list.html",
        {
            "tab": tab,
            "tabs": tabs,
            "tab_count": next(t.count for t in tabs if t.key == tab),
            "tasks": tasks,
            "shown": SHOWN,
            "members": _member_choices(),
            "everyone": sees_every_task(user),
        },
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    initial: dict[str, Any] = {"assignee": user.pk}
    lead = None
    if request.method == "GET" and request.GET.get("lead", "").isdigit():
        lead = find_lead(int(request.GET["lead"][:19]))
        initial["lead"] = lead.pk if lead else None
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST":
        raw_lead = request.POST.get("lead", "")
        lead = find_lead(int(raw_lead)) if raw_lead.isdigit() and len(raw_lead) < 19 else None
    if request.method == "POST" and form.is_valid():
        try:
            task = create_task(actor=user, **form.cleaned_data)
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            messages.success(request, f"Task “{task.title}” is added.")
            return redirect("/tasks/")
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "crm/tasks/form.html", {"form": form, "lead": lead}, status=status)


@workspace_page
@require_GET
def lead_picker(request: HttpRequest) -> HttpResponse:
    """The lead choices of the new task form, as the person types a name."""
    query = request.GET.get("lead_q", "")
    return render(
        request,
        "crm/tasks/_lead_choices.html",
        {"leads": lead_choices(query), "query": query.strip()},
    )


def _set_done(request: HttpRequest, task_id: int, done: bool) -> HttpResponse:
    user = signed_in_user(request)
    task = update_task(actor=user, task_id=task_id, changes={"done": done})
    text = f"“{task.title}” is done." if done else f"“{task.title}” is open again."
    return _back(request, task, _tab(request, user), text)


@workspace_page
@require_POST
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    return _set_done(request, task_id, True)


@workspace_page
@require_POST
def task_reopen(request: HttpRequest, task_id: int) -> HttpResponse:
    return _set_done(request, task_id, False)


@workspace_page
@require_POST
def task_assign(request: HttpRequest, task_id: int) -> HttpResponse:
    user = signed_in_user(request)
    form = AssignForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(details=form_problems(form))
    task = update_task(
        actor=user, task_id=task_id, changes={"assignee": form.cleaned_data["assignee"]}
    )
    who = task.assignee.display_name if task.assignee else "nobody"
    return _back(request, task, _tab(request, user), f"“{task.title}” is assigned to {who}.")


@workspace_page
@require_GET
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task's own address: what it is, who has it, when it is due, its lead; another
    workspace's task id is the 404 page."""
    task = get_record(Task, task_id)
    return render(request, "crm/tasks/detail.html", {"task": task, "now": timezone.now()})
