"""The pipeline board: a column per stage, drag and drop (or "Move to…") through the same
lead service as the API, "Load more" per column, filters by owner and tag."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_POST

from accounts.authentication import signed_in_user
from accounts.selectors.team import team_members
from crm.models import PipelineStage
from crm.pages.common import workspace_page
from crm.selectors.catalog import pipeline_stages
from crm.selectors.pipeline import (
    CARDS_PER_COLUMN,
    NO_STAGE,
    BoardFilter,
    Column,
    column_page,
    find_stage,
    pipeline_board,
)
from crm.services.leads import update_lead
from project.errors import InvalidInput, field_error
from project.pages import form_problems


class BoardFilterForm(forms.Form):
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    tag = forms.CharField(label="Tag", required=False, max_length=50)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["owner"].choices = [("", "Any owner")] + [  # type: ignore[attr-defined]
            (member.pk, member.display_name) for member in team_members().filter(is_active=True)
        ]

    def criteria(self) -> BoardFilter:
        if not self.is_valid():
            return BoardFilter()
        tag = self.cleaned_data["tag"].strip().lower()
        return BoardFilter(owner=self.cleaned_data["owner"], tag=tag or None)


class MoveForm(forms.Form):
    lead = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    stage = forms.CharField(required=False, max_length=20)

    def clean_stage(self) -> int | None:
        value = self.cleaned_data["stage"].strip()
        if value in ("", NO_STAGE):
            return None
        if not value.isdigit() or int(value) > 2**63 - 1:
            raise forms.ValidationError("Choose a stage of this pipeline.")
        return int(value)


@dataclass(frozen=True)
class ColumnView:
    """A board column as the page shows it: the selector's column and its cards' "Move to"
    options, rendered once per column (every card in it has the same stage selected)."""

    column: Column
    options: SafeString

    def __getattr__(self, name: str) -> object:
        return getattr(self.column, name)


def _option(key: str, name: str, chosen: bool) -> SafeString:
    if chosen:
        return format_html('<option value="{}" selected>{}</option>', key, name)
    return format_html('<option value="{}">{}</option>', key, name)


def move_options(stages: list[PipelineStage], selected: int | None) -> SafeString:
    """The "Move to" options of a card in the column of stage `selected` (None: no stage)."""
    choices = [(NO_STAGE, "No stage", selected is None)] + [
        (str(stage.pk), stage.name, stage.pk == selected) for stage in stages
    ]
    return format_html_join("", "{}", ((_option(*choice),) for choice in choices))


def _filter_query(criteria: BoardFilter) -> str:
    return urlencode(
        {key: value for key, value in (("owner", criteria.owner), ("tag", criteria.tag)) if value}
    )


@workspace_page
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    search = BoardFilterForm(request.GET)
    criteria = search.criteria()
    stages = pipeline_stages()
    columns = [
        ColumnView(column, move_options(stages, column.stage.pk if column.stage else None))
        for column in pipeline_board(criteria, stages=stages)
    ]
    return render(
        request,
        "crm/pipeline/board.html",
        {
            "columns": columns,
            "stages": stages,
            "search": search,
            "filtered": criteria != BoardFilter(),
            "filter_query": _filter_query(criteria),
            "criteria": criteria,
        },
        status=422 if search.errors else 200,
    )


@workspace_page
@require_GET
def column_more(request: HttpRequest) -> HttpResponse:
    """The next cards of one column, appended by htmx, with the column's next button."""
    search = BoardFilterForm(request.GET)
    criteria = search.criteria()
    key = request.GET.get("stage", "")
    stage = None
    if key != NO_STAGE:
        stage = find_stage(int(key)) if key.isdigit() and int(key) < 2**63 else None
        if stage is None:
            raise InvalidInput(
                details=[field_error("stage", "unknown_stage", "No pipeline stage with this id.")]
            )
    found = column_page(
        criteria,
        stage_id=stage.pk if stage else None,
        cursor=request.GET.get("cursor") or None,
        limit=CARDS_PER_COLUMN,
    )
    return render(
        request,
        "crm/pipeline/_more.html",
        {
            "cards": found.items,
            "next": found.next,
            "column_key": stage.pk if stage else NO_STAGE,
            "options": move_options(pipeline_stages(), stage.pk if stage else None),
            "filter_query": _filter_query(criteria),
            "criteria": criteria,
        },
    )


@workspace_page
@require_POST
def move(request: HttpRequest) -> HttpResponse:
    """Move a lead to a stage (or out of the pipeline). A fetch from the board gets JSON;
    the "Move to…" form without JavaScript gets the board back with a message."""
    values = request.POST.copy()
    if "stage" not in values:  # the board's one form: the card's own select names the stage
        values["stage"] = values.get(f"stage_{values.get('lead', '')}", "")
    form = MoveForm(values)
    if not form.is_valid():
        raise InvalidInput(details=form_problems(form))
    lead = update_lead(
        actor=signed_in_user(request),
        lead_id=form.cleaned_data["lead"],
        changes={"stage": form.cleaned_data["stage"]},
    )
    where = lead.stage.name if lead.stage else "No stage"
    text = f"{lead} moved to {where}."
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {"lead": lead.pk, "stage": lead.stage_id, "stage_name": where, "message": text}
        )
    messages.success(request, text)
    back = BoardFilterForm(request.POST).criteria()
    query = _filter_query(back)
    return redirect(f"/pipeline/{'?' + query if query else ''}")
