"""The crm's settings pages: custom fields (list, add, edit, delete) and pipeline stages
(add, rename, delete, reorder by drag or by the up and down buttons). Admins and the owner;
every change goes through the same catalog services as the REST API."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.permissions import Action, can
from crm.catalog_forms import FieldDefinitionEditForm, FieldDefinitionForm, StageForm
from crm.models import CustomFieldDefinition, PipelineStage
from crm.selectors.catalog import (
    custom_fields,
    leads_with_custom_field,
    pipeline_stages,
    stage_lead_counts,
)
from crm.selectors.records import get_record
from crm.services.catalog import (
    create_field_definition,
    create_stage,
    delete_field_definition,
    delete_stage,
    reorder_stages,
    update_field_definition,
    update_stage,
)
from project.errors import Conflict, Forbidden, InvalidInput, field_error
from project.pages import add_domain_errors, page


def _back_to_settings(request: HttpRequest) -> tuple[str, str] | None:
    # Someone refused the settings is better served by the dashboard than by a way back.
    if not can(signed_in_user(request), Action.MANAGE_PIPELINE):
        return None
    return ("/settings/", "Back to settings")


settings_page = page(back=_back_to_settings)


def _pipeline_manager(request: HttpRequest) -> User:
    actor = signed_in_user(request)
    if not can(actor, Action.MANAGE_PIPELINE):
        raise Forbidden("Only admins and the owner change custom fields and the pipeline.")
    return actor


# --- Custom fields -----------------------------------------------------------------------


@settings_page
@require_http_methods(["GET", "POST"])
def field_list(request: HttpRequest) -> HttpResponse:
    actor = _pipeline_manager(request)
    form = FieldDefinitionForm(request.POST or None, initial={"field_type": "text"})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                field = create_field_definition(actor=actor, **form.definition_values())
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                messages.success(request, f"Custom field {field.label} added.")
                return redirect("/settings/fields/")
        status = 422
    return render(
        request,
        "settings/fields.html",
        {"fields": custom_fields(), "form": form},
        status=status,
    )


@settings_page
@require_http_methods(["GET", "POST"])
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    actor = _pipeline_manager(request)
    field = get_record(CustomFieldDefinition, field_id)
    initial = {
        "label": field.label,
        "options": "\n".join(str(option) for option in field.options),
        "required": field.required,
    }
    form = FieldDefinitionEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                update_field_definition(
                    actor=actor, field_id=field.pk, changes=form.definition_values()
                )
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                messages.success(request, f"Custom field {form.cleaned_data['label']} saved.")
                return redirect("/settings/fields/")
        status = 422
    return render(
        request, "settings/field_edit.html", {"field": field, "form": form}, status=status
    )


@settings_page
@require_http_methods(["GET", "POST"])
def field_delete(request: HttpRequest, field_id: int) -> HttpResponse:
    actor = _pipeline_manager(request)
    field = get_record(CustomFieldDefinition, field_id)
    if request.method == "POST":
        delete_field_definition(actor=actor, field_id=field.pk)
        messages.success(request, f"Custom field {field.label} deleted.")
        return redirect("/settings/fields/")
    holding = leads_with_custom_field(field.key)
    context = {
        "title": f"Delete the custom field {field.label}?",
        "consequences": [
            f"{holding} lead{'s' if holding != 1 else ''} hold a value for it. The values "
            "stay in each lead's data, but no page, filter, import or export shows them.",
            f"Adding a field with the key {field.key} again brings those values back.",
        ],
        "button": "Delete the field",
        "danger": True,
        "action_url": f"/settings/fields/{field.pk}/delete/",
        "cancel_url": "/settings/fields/",
    }
    return render(request, "accounts/confirm.html", context)


# --- Pipeline stages ---------------------------------------------------------------------


def _stages_page(
    request: HttpRequest,
    form: StageForm | None = None,
    *,
    rename_error: tuple[int, str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The stages in order with their lead counts; `rename_error` is (stage id, the name
    typed, what is wrong with it), shown beside that stage's name field."""
    counts = stage_lead_counts()
    rows = []
    for stage in pipeline_stages():
        typed, problem = stage.name, ""
        if rename_error is not None and rename_error[0] == stage.pk:
            typed, problem = rename_error[1], rename_error[2]
        rows.append(
            {"stage": stage, "leads": counts.get(stage.pk, 0), "typed": typed, "problem": problem}
        )
    return render(
        request,
        "settings/stages.html",
        {"stages": rows, "form": form or StageForm()},
        status=status,
    )


@settings_page
@require_http_methods(["GET", "POST"])
def stage_list(request: HttpRequest) -> HttpResponse:
    actor = _pipeline_manager(request)
    if request.method == "GET":
        return _stages_page(request)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            stage = create_stage(actor=actor, name=form.cleaned_data["name"])
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except Conflict as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, f"Stage {stage.name} added at the end of the pipeline.")
            return redirect("/settings/stages/")
    return _stages_page(request, form, status=422)


@settings_page
@require_POST
def stage_rename(request: HttpRequest, stage_id: int) -> HttpResponse:
    actor = _pipeline_manager(request)
    stage = get_record(PipelineStage, stage_id)
    name = request.POST.get("name", "")
    try:
        renamed = update_stage(actor=actor, stage_id=stage.pk, changes={"name": name})
    except (InvalidInput, Conflict) as error:
        problem = error.details[0]["message"] if error.details else error.message
        return _stages_page(request, rename_error=(stage.pk, name, problem), status=error.status)
    messages.success(request, f"Stage {stage.name} is now {renamed.name}.")
    return redirect("/settings/stages/")


@settings_page
@require_POST
def stage_move(request: HttpRequest, stage_id: int) -> HttpResponse:
    """The keyboard way to reorder: one step up or down."""
    actor = _pipeline_manager(request)
    order = [stage.pk for stage in pipeline_stages()]
    if stage_id not in order:
        get_record(PipelineStage, stage_id)  # the 404 of another workspace's stage
    index = order.index(stage_id)
    step = -1 if request.POST.get("direction") == "up" else 1
    if 0 <= index + step < len(order):
        order[index], order[index + step] = order[index + step], order[index]
        reorder_stages(actor=actor, stage_ids=order)
    return redirect(f"/settings/stages/#stage-{stage_id}")


@settings_page
@require_POST
def stage_reorder(request: HttpRequest) -> HttpResponse:
    """The drag and drop way: the whole order at once (static/js/settings.js)."""
    actor = _pipeline_manager(request)
    try:
        ids = [int(value) for value in request.POST.getlist("ids")]
    except ValueError:
        raise InvalidInput(
            details=[field_error("ids", "invalid_id", "Send stage ids (numbers).")]
        ) from None
    reorder_stages(actor=actor, stage_ids=ids)
    return HttpResponse(status=204)


@settings_page
@require_http_methods(["GET", "POST"])
def stage_delete(request: HttpRequest, stage_id: int) -> HttpResponse:
    actor = _pipeline_manager(request)
    stage = get_record(PipelineStage, stage_id)
    others = [other for other in pipeline_stages() if other.pk != stage.pk]
    leads = stage_lead_counts().get(stage.pk, 0)
    error = ""
    if request.method == "POST":
        target = request.POST.get("move_leads_to", "")
        try:
            moved_to = int(target) if target else None
            delete_stage(actor=actor, stage_id=stage.pk, move_leads_to=moved_to)
        except ValueError:
            error = "Choose a stage from the list."
        except InvalidInput as refused:
            error = refused.details[0]["message"] if refused.details else refused.message
        else:
            messages.success(request, f"Stage {stage.name} deleted.")
            return redirect("/settings/stages/")
    return render(
        request,
        "settings/stage_delete.html",
        {"stage": stage, "others": others, "leads": leads, "error": error},
        status=422 if error else 200,
    )
