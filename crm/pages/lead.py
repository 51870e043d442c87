"""A lead's own page: the profile, stage, owner and status changed in place, tags with
suggestions, custom fields, the timeline a page at a time, logging a call, meeting or note,
and the lead's tasks. Every change goes through the service the REST API uses; the one-off
email and the subscription state are outreach's (outreach/pages/lead_email.py), embedded by
htmx since crm may not import outreach.

Each form posts to its own URL. An htmx request gets back the part of the page it changed
(422 with the errors beside the fields when the input is wrong) and an `HX-Trigger:
lead-changed` that makes the timeline and the open tasks reload; without JavaScript the same
URLs redirect to the page (or render it with the errors)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.permissions import Action, can
from crm.models import Lead, Task
from crm.pages.common import workspace_page
from crm.pages.lead_forms import CustomFieldsForm, LogForm, TagForm, TaskForm
from crm.pages.lead_timeline import Names, show
from crm.selectors.activity import filter_tasks
from crm.selectors.catalog import custom_fields, pipeline_stages
from crm.selectors.leads import get_lead
from crm.selectors.records import get_record
from crm.selectors.tags import tag_suggestions
from crm.selectors.timeline import timeline_page
from crm.services.activity import create_task, log_message, update_task
from crm.services.lead_edits import change_lead_tags, set_lead_custom_fields
from crm.services.leads import update_lead
from project.errors import InvalidInput, NotFound, field_error
from project.pages import add_domain_errors, is_htmx

TIMELINE_SHOWN = 25
OPEN_TASKS_SHOWN = 20
CHANGED = "lead-changed"  # the htmx event the timeline and the open tasks reload on
PIPELINE_FIELDS = ("stage", "owner", "status")
PIPELINE_LABELS = {"stage": "stage", "owner": "owner", "status": "status"}


def _members() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("full_name", "email"))


def _lead(lead_id: int) -> Lead:
    """The lead with its stage and owner (one query), or NotFound: the 404 page."""
    lead = Lead.objects.select_related("stage", "owner").filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("No lead with this id.")
    return lead


def _timeline(lead: Lead, cursor: str | None, names: Names) -> dict[str, Any]:
    found = timeline_page(lead, limit=TIMELINE_SHOWN, cursor=cursor)
    return {"entries": show(found.items, names), "next": found.next}


def _open_tasks(lead: Lead) -> dict[str, Any]:
    """The lead's open tasks, soonest due first, and the moment that makes one overdue."""
    tasks = filter_tasks(lead=lead.pk, done=False).select_related("assignee")
    return {
        "open_tasks": list(tasks.order_by("due_at", "id")[:OPEN_TASKS_SHOWN]),
        "now": timezone.now(),
    }


def _custom_fields_form(lead: Lead, data: Any = None) -> CustomFieldsForm:
    return CustomFieldsForm(data, definitions=custom_fields(), values=lead.custom_fields)


def _page_context(request: HttpRequest, lead: Lead, **overrides: Any) -> dict[str, Any]:
    user = signed_in_user(request)
    stages, members = pipeline_stages(), _members()
    names = Names(stages, members)
    context: dict[str, Any] = {
        "lead": lead,
        "stages": stages,
        "members": members,
        "statuses": Lead.Status.choices,
        "pipeline_errors": {},
        "tag_form": TagForm(),
        "suggestions": tag_suggestions(exclude=lead.tags),
        "custom_form": _custom_fields_form(lead),
        "log_form": LogForm(),
        "task_form": TaskForm(members=members, initial={"assignee": str(user.pk)}),
        **_open_tasks(lead),
        "can_manage_fields": can(user, Action.MANAGE_PIPELINE),
        **_timeline(lead, request.GET.get("cursor") or None, names),
    }
    context.update(overrides)
    return context


def _done(
    request: HttpRequest, lead: Lead, message: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """After a change: htmx gets the part it swaps and the reload signal; a form post is
    redirected to the page, which shows the message as a toast."""
    messages.success(request, message)
    if not is_htmx(request):
        return redirect("lead_detail", lead.pk)
    response = render(request, partial, {"lead": lead, "oob": True, **context})
    response.write(render_to_string("crm/lead/_toasts.html", request=request))
    response["HX-Trigger"] = CHANGED
    return response


def _refused(
    request: HttpRequest, lead: Lead, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """Wrong input: the part again with the errors (htmx), or the whole page with them."""
    if is_htmx(request):
        return render(request, partial, {"lead": lead, **context}, status=422)
    return render(
        request, "crm/leads/detail.html", _page_context(request, lead, **context), status=422
    )


@workspace_page
@require_GET
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead(lead_id)
    return render(request, "crm/leads/detail.html", _page_context(request, lead))


@workspace_page
@require_GET
def lead_timeline(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The timeline's entries after `cursor` (the newest without one), for "Show older"
    and for the reload after a change."""
    lead = get_lead(lead_id)
    names = Names(pipeline_stages(), _members())
    context = _timeline(lead, request.GET.get("cursor") or None, names)
    template = (
        "crm/lead/_timeline_more.html" if request.GET.get("cursor") else "crm/lead/_timeline.html"
    )
    return render(request, template, {"lead": lead, **context})


@workspace_page
@require_GET
def lead_open_tasks(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    return render(request, "crm/lead/_open_tasks.html", {"lead": lead, **_open_tasks(lead)})


def _id_or_none(name: str, raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(
            details=[field_error(name, "invalid_id", "Choose one from the list.")]
        ) from None


@workspace_page
@require_POST
def lead_pipeline(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Stage, owner or status, whichever the form sent, through update_lead (its event)."""
    lead = _lead(lead_id)
    sent = {name: request.POST[name] for name in PIPELINE_FIELDS if name in request.POST}
    context: dict[str, Any] = {
        "stages": pipeline_stages(),
        "members": _members(),
        "statuses": Lead.Status.choices,
    }
    try:
        changes: dict[str, Any] = {
            name: value if name == "status" else _id_or_none(name, value)
            for name, value in sent.items()
        }
        update_lead(actor=signed_in_user(request), lead_id=lead.pk, changes=changes)
    except InvalidInput as error:
        context["pipeline_errors"] = {
            detail["field"]: detail["message"] for detail in error.details
        }
        return _refused(request, lead, "crm/lead/_pipeline.html", context)
    lead = _lead(lead_id)
    said = " and ".join(PIPELINE_LABELS[name] for name in sent) or "Nothing"
    return _done(request, lead, f"{said.capitalize()} saved.", "crm/lead/_pipeline.html", context)


def _tags_context(lead: Lead, form: TagForm | None = None) -> dict[str, Any]:
    return {"tag_form": form or TagForm(), "suggestions": tag_suggestions(exclude=lead.tags)}


@workspace_page
@require_POST
def lead_tag_add(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    form = TagForm(request.POST)
    if form.is_valid():
        try:
            lead = change_lead_tags(
                actor=signed_in_user(request), lead_id=lead.pk, add=[form.cleaned_data["tag"]]
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details, {"tags": "tag"})
        else:
            return _done(
                request,
                lead,
                f"Tagged {form.cleaned_data['tag'].strip().lower()}.",
                "crm/lead/_tags.html",
                _tags_context(lead),
            )
    return _refused(request, lead, "crm/lead/_tags.html", _tags_context(lead, form))


@workspace_page
@require_POST
def lead_tag_remove(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    tag = request.POST.get("tag", "")
    lead = change_lead_tags(actor=signed_in_user(request), lead_id=lead.pk, remove=[tag])
    return _done(
        request, lead, f"Removed the tag {tag}.", "crm/lead/_tags.html", _tags_context(lead)
    )


@workspace_page
@require_GET
def lead_tag_suggestions(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The options of the tag input's datalist for what has been typed so far."""
    lead = get_lead(lead_id)
    found = tag_suggestions(request.GET.get("tag", "")[:50], exclude=lead.tags)
    return render(request, "crm/lead/_tag_options.html", {"suggestions": found})


@workspace_page
@require_POST
def lead_custom_fields(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    form = _custom_fields_form(lead, request.POST)
    if form.is_valid():
        try:
            lead = set_lead_custom_fields(
                actor=signed_in_user(request), lead_id=lead.pk, values=form.values()
            )
        except InvalidInput as error:
            add_domain_errors(
                form, error.details, {f"custom_fields.{key}": key for key in form.fields}
            )
        else:
            return _done(
                request,
                lead,
                "Custom fields saved.",
                "crm/lead/_custom_fields.html",
                {"custom_form": _custom_fields_form(lead)},
            )
    return _refused(
        request, lead, "crm/lead/_custom_fields.html", {"custom_form": form, "editing": True}
    )


@workspace_page
@require_POST
def lead_log(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Log a call, a meeting or a note (crm.services.activity.log_message, as the API)."""
    lead = get_lead(lead_id)
    form = LogForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            log_message(
                actor=signed_in_user(request),
                lead=lead.pk,
                channel=data["channel"],
                subject=data["subject"].strip(),
                body=data["body"].strip(),
                occurred_at=data["occurred_at"],
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            label = dict(form.fields["channel"].choices).get(data["channel"], "Note")  # type: ignore[attr-defined]
            return _done(
                request,
                lead,
                f"{label} logged.",
                "crm/lead/_log_form.html",
                {"log_form": LogForm()},
            )
    return _refused(request, lead, "crm/lead/_log_form.html", {"log_form": form})


@workspace_page
@require_POST
def lead_task_new(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    user = signed_in_user(request)
    members = _members()
    form = TaskForm(request.POST, members=members)
    if form.is_valid():
        data = form.cleaned_data
        try:
            create_task(
                actor=user,
                lead=lead.pk,
                title=data["title"],
                due_at=data["due_at"],
                assignee=_id_or_none("assignee", data["assignee"] or ""),
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            fresh = TaskForm(members=members, initial={"assignee": str(user.pk)})
            return _done(
                request,
                lead,
                f"Task added: {data['title']}.",
                "crm/lead/_task_form.html",
                {"task_form": fresh},
            )
    return _refused(request, lead, "crm/lead/_task_form.html", {"task_form": form})


@workspace_page
@require_POST
def lead_task_done(request: HttpRequest, lead_id: int, task_id: int) -> HttpResponse:
    """Complete one of this lead's tasks (another lead's task id is not found here)."""
    lead = get_lead(lead_id)
    task = get_record(Task, task_id)
    if task.lead_id != lead.pk:
        raise NotFound("No task of this lead with this id.")
    update_task(actor=signed_in_user(request), task_id=task.pk, changes={"done": True})
    return _done(
        request, lead, f"Done: {task.title}.", "crm/lead/_open_tasks.html", _open_tasks(lead)
    )
