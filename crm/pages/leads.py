"""The leads table: search, filters and sort in the URL, keyset pages, a capped total, the
member's own columns, bulk actions with a confirmation naming the count, create and edit
(in a modal with htmx, full pages without), and the CSV export of the filter. A lead's own
page is crm/pages/lead.py. Each view reads its input, calls the selectors and services the
API calls, and renders; a DomainError becomes the error page."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from crm.errors import LeadEmailTaken
from crm.forms import BulkActionForm, LeadForm, LeadSearchForm, filter_query
from crm.pages.common import workspace_page
from crm.pages.lead_rows import row_cells
from crm.selectors.export import export_rows
from crm.selectors.lead_table import (
    NAME_COLUMN,
    available_columns,
    chosen_columns,
    custom_field_definitions,
    owner_choices,
    stage_choices,
)
from crm.selectors.leads import LeadFilter, count_matching, filter_leads, get_lead
from crm.selectors.pagination import paginate
from crm.services.bulk import run_bulk_action
from crm.services.lead_table import choose_lead_columns
from crm.services.leads import create_lead, update_lead
from project.errors import InvalidInput
from project.pages import add_domain_errors, form_problems, plan_refusal
from tenants.errors import PlanLimitReached

PAGE_SIZE = 50


def _htmx(request: HttpRequest) -> bool:
    """Whether htmx asked (the modal wants a fragment, not a whole page)."""
    return bool(getattr(request, "htmx", False))


def _search_form(data: QueryDict) -> LeadSearchForm:
    return LeadSearchForm(
        data,
        stages=stage_choices(),
        owners=owner_choices(),
        definitions=custom_field_definitions(),
    )


@workspace_page
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    definitions = custom_field_definitions()
    stages, owners = stage_choices(), owner_choices()
    search = LeadSearchForm(request.GET, stages=stages, owners=owners, definitions=definitions)
    valid = search.is_valid()
    sort = search.sort_order()
    leads: list[Any] = []
    total, exact, next_cursor = 0, True, None
    if valid:
        matching = filter_leads(search.criteria())
        cursor = request.GET.get("cursor") or None
        found = paginate(
            matching.select_related("stage", "owner"), sort=sort, limit=PAGE_SIZE, cursor=cursor
        )
        leads, next_cursor = found.items, found.next
        if cursor is None and next_cursor is None:  # one page holds them all: that is the count
            total, exact = len(leads), True
        else:
            total, exact = count_matching(matching)
    filters = filter_query(request.GET)
    columns = chosen_columns(user, definitions)
    context = {
        "leads": leads,
        "rows": [(lead, row_cells(lead, columns)) for lead in leads],
        "total": total,
        "total_exact": exact,
        "next": next_cursor,
        "first_page": not request.GET.get("cursor"),
        "search": search,
        "filtered": search.is_filtered(),
        "filter_query": filters,
        "list_query": _with(filters, sort=sort if sort != "-created_at" else ""),
        "sort": sort,
        "columns": columns,
        "column_keys": [column.key for column in columns],
        "all_columns": available_columns(definitions),
        "headers": [_header(column, sort, filters) for column in [NAME_COLUMN, *columns]],
        "bulk": BulkActionForm(None, stages=stages, owners=owners),
        "can_manage": can(user, Action.MANAGE_LEADS),
        "has_custom_fields": bool(definitions),
    }
    return render(request, "crm/leads/list.html", context, status=200 if valid else 400)


def _with(query: str, **params: str) -> str:
    values = QueryDict(query, mutable=True)
    for name, value in params.items():
        values.pop(name, None)
        if value:
            values[name] = value
    return values.urlencode()


def _header(column: Any, sort: str, filters: str) -> dict[str, Any]:
    """A column heading: a link that sorts by it (again: the other way) when it sorts."""
    heading: dict[str, Any] = {"key": column.key, "label": column.label, "url": None}
    if column.sort:
        ascending = sort == column.sort
        descending = sort == f"-{column.sort}"
        # Names read A to Z first; dates and the rest newest (or highest) first.
        first = column.sort if column.sort == "last_name" else f"-{column.sort}"
        following = f"-{column.sort}" if ascending else column.sort if descending else first
        heading.update(
            url=f"?{_with(filters, sort=following)}",
            order="ascending" if ascending else "descending" if descending else None,
        )
    return heading


def _lead_form_response(
    request: HttpRequest, form: LeadForm, *, lead: Any = None, status: int = 200
) -> HttpResponse:
    template = "crm/leads/_form.html" if _htmx(request) else "crm/leads/form.html"
    return render(request, template, {"form": form, "lead": lead}, status=status)


def _save_lead(form: LeadForm, save: Any) -> Any:
    """Run `save` with the form's values; each refusal goes next to its field."""
    try:
        return save(form.lead_values())
    except LeadEmailTaken as error:
        form.add_error("email", error.details[0]["message"])
    except InvalidInput as error:
        add_domain_errors(form, error.details, form.error_fields())
    except PlanLimitReached as error:
        form.add_error(None, ValidationError(plan_refusal(error), code=error.code))
    return None


def _refused_status(form: LeadForm) -> int:
    """402 when the plan's limit refused the save, else 422 (what is wrong with the input)."""
    return 402 if form.has_error(NON_FIELD_ERRORS, PlanLimitReached.code) else 422


def _back_to_list(request: HttpRequest) -> str:
    """Where the list was (for htmx, the page the modal opened on), or the list itself."""
    here = getattr(getattr(request, "htmx", None), "current_url_abs_path", None) or ""
    if here.startswith("/leads/") and url_has_allowed_host_and_scheme(here, allowed_hosts=None):
        return here
    return "/leads/"


def _done(request: HttpRequest, lead_url: str) -> HttpResponse:
    """After a save: the modal reloads the page it opened on; a full page opens the lead."""
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = _back_to_list(request)
        return response
    return redirect(lead_url)


@workspace_page
@require_http_methods(["GET", "POST"])
def lead_new(request: HttpRequest) -> HttpResponse:
    form = LeadForm(
        request.POST or None,
        stages=stage_choices(),
        owners=owner_choices(),
        definitions=custom_field_definitions(),
    )
    if request.method == "POST" and form.is_valid():
        actor = signed_in_user(request)
        lead = _save_lead(form, lambda values: create_lead(actor=actor, source_detail="", **values))
        if lead is not None:
            messages.success(request, f"{lead} is added.")
            return _done(request, f"/leads/{lead.pk}/")
    status = _refused_status(form) if request.method == "POST" else 200
    return _lead_form_response(request, form, status=status)


@workspace_page
@require_http_methods(["GET", "POST"])
def lead_edit(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)  # another workspace's id: NotFound, the 404 page
    form = LeadForm(
        request.POST or None,
        initial=LeadForm.initial_of(lead),
        stages=stage_choices(),
        owners=owner_choices(),
        definitions=custom_field_definitions(),
    )
    if request.method == "POST" and form.is_valid():
        actor = signed_in_user(request)
        saved = _save_lead(
            form, lambda values: update_lead(actor=actor, lead_id=lead.pk, changes=values)
        )
        if saved is not None:
            messages.success(request, f"{saved} is saved.")
            return _done(request, f"/leads/{lead.pk}/")
    status = _refused_status(form) if request.method == "POST" else 200
    return _lead_form_response(request, form, lead=lead, status=status)


@workspace_page
@require_POST
def lead_bulk(request: HttpRequest) -> HttpResponse:
    """First the confirmation naming the count, then (with `confirmed`) the action itself."""
    form = BulkActionForm(request.POST, stages=stage_choices(), owners=owner_choices())
    query = request.POST.get("filter", "")
    search = _search_form(QueryDict(query))
    back = f"/leads/?{query}" if query else "/leads/"
    template = "crm/leads/_bulk_confirm.html" if _htmx(request) else "crm/leads/bulk_confirm.html"
    if not form.is_valid() or not search.is_valid():
        if not search.is_valid():
            form.add_error(None, "The filter of this list is not valid any more: search again.")
        return render(request, template, {"form": form, "back": back}, status=422)
    on_filter = form.cleaned_data["scope"] == "filter"
    criteria: LeadFilter | None = search.criteria() if on_filter else None
    ids = None if on_filter else form.ids
    if not request.POST.get("confirmed"):
        count = filter_leads(criteria or LeadFilter()).count() if on_filter else _count_ids(ids)
        context = {
            "form": form,
            "back": back,
            "count": count,
            "question": form.describe(count),
            "button": form.button(count),
            "ids": ids or [],
            "danger": form.cleaned_data["action"] == "delete",
        }
        return render(request, template, context)
    try:
        result = run_bulk_action(
            actor=signed_in_user(request),
            action=form.cleaned_data["action"],
            value=form.value(),
            ids=ids,
            criteria=criteria,
        )
    except InvalidInput as error:
        add_domain_errors(form, error.details, {"value": _value_field(form)})
        return render(request, template, {"form": form, "back": back}, status=422)
    messages.success(request, form.done(result.affected))
    return redirect(back)


def _count_ids(ids: list[int] | None) -> int:
    return filter_leads(LeadFilter()).filter(pk__in=ids or []).count()


def _value_field(form: BulkActionForm) -> str:
    action = form.cleaned_data.get("action")
    return {"assign_owner": "owner", "move_stage": "stage"}.get(str(action), "tags")


@workspace_page
@require_POST
def lead_columns(request: HttpRequest) -> HttpResponse:
    choose_lead_columns(actor=signed_in_user(request), columns=request.POST.getlist("columns"))
    messages.success(request, "Your columns are saved.")
    query = request.POST.get("back", "")
    return redirect(f"/leads/?{query}" if query else "/leads/")


@workspace_page
@require_GET
def lead_export(request: HttpRequest) -> HttpResponse:
    """Every lead matching the list's filter as CSV, streamed (the API's export rows)."""
    search = _search_form(request.GET)
    if not search.is_valid():
        raise InvalidInput(details=form_problems(search))
    response = StreamingHttpResponse(
        export_rows(filter_leads(search.criteria())), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="leads.csv"'
    # Streamed, not an HttpResponse in memory; the page decorator only passes it through.
    return cast(HttpResponse, response)
