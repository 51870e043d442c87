"""The leads pages: the list with search and filters and a new lead (a lead's own page is
crm/pages/lead.py). Each view reads its input, calls the selectors and services the API
calls, and renders; a DomainError becomes the error page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from crm.errors import LeadEmailTaken
from crm.forms import LeadForm, LeadSearchForm
from crm.pages.common import workspace_page
from crm.selectors.leads import LeadFilter, filter_leads
from crm.selectors.pagination import paginate
from crm.services.leads import create_lead
from project.errors import InvalidInput
from project.pages import add_domain_errors

PAGE_SIZE = 50


@workspace_page
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    search = LeadSearchForm(request.GET)
    criteria = LeadFilter()
    if search.is_valid():
        data = search.cleaned_data
        criteria = LeadFilter(
            q=data["q"] or None,
            status=data["status"] or None,
            tag=[data["tag"].strip().lower()] if data["tag"].strip() else None,
        )
    found = paginate(
        filter_leads(criteria),
        sort="-created_at",
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
        with_total=True,
    )
    filters = {key: value for key, value in request.GET.items() if key != "cursor" and value}
    return render(
        request,
        "crm/leads/list.html",
        {
            "leads": found.items,
            "total": found.total,
            "next": found.next,
            "first_page": not request.GET.get("cursor"),
            "search": search,
            "filtered": bool(filters),
            "filter_query": urlencode(filters),
            "can_manage": can(signed_in_user(request), Action.MANAGE_LEADS),
        },
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def lead_new(request: HttpRequest) -> HttpResponse:
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = create_lead(
                actor=signed_in_user(request), source_detail="", **form.lead_values()
            )
        except LeadEmailTaken as error:
            form.add_error("email", error.details[0]["message"])
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            messages.success(request, f"{lead} is added.")
            return redirect("lead_detail", lead.pk)
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "crm/leads/form.html", {"form": form}, status=status)
