"""A lead's own page: the profile and the timeline."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm.pages.common import workspace_page
from crm.selectors.activity import lead_timeline
from crm.selectors.leads import get_lead

TIMELINE_SHOWN = 50


@workspace_page
@require_GET
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    return render(
        request,
        "crm/leads/detail.html",
        {"lead": lead, "timeline": lead_timeline(lead, limit=TIMELINE_SHOWN)},
    )
