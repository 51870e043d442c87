"""The top bar's search: leads by name, email or company as the person types."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.selectors.leads import LeadFilter, filter_leads
from project.pages import page

SHOWN = 8


@page()
@require_GET
def global_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    leads = list(filter_leads(LeadFilter(q=query)).order_by("-created_at")[:SHOWN]) if query else []
    return render(request, "crm/_search_results.html", {"query": query, "leads": leads})
