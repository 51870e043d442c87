"""The unsubscribe page a lead reaches from an email, signed out: the signed token in the
link is the credential."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import Lead
from crm.selectors.leads import find_lead
from outreach.services.subscriptions import resubscribe_lead, unsubscribe_lead
from outreach.unsubscribe_links import UnsubscribeLink, read_unsubscribe_token
from tenants.schemas import current_schema, current_workspace

ONE_CLICK = "One-Click"


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "errors/page.html",
        {
            "title": "This link does not work here",
            "message": "It may have been cut short by your email program. Open the newest email "
            "you got from us and use its unsubscribe link, or reply to that email and ask.",
        },
        status=404,
    )


def _link(token: str) -> tuple[UnsubscribeLink, Lead] | None:
    link = read_unsubscribe_token(schema_name=current_schema(), token=token)
    lead = find_lead(link.lead_id) if link else None
    if link is None or lead is None:
        return None
    return link, lead


@csrf_exempt  # the signed token is the credential; mail clients' one-click POST has no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners must not unsubscribe anyone); POST
    unsubscribes, whether from this page or as RFC 8058 one-click from a mail client."""
    workspace = current_workspace()
    if token == "preview":
        return render(
            request,
            "outreach/unsubscribe.html",
            {"state": "preview", "workspace_name": workspace.name},
        )
    found = _link(token)
    if found is None:
        return _invalid_link(request)
    link, lead = found
    context = {"workspace_name": workspace.name, "email": lead.email, "token": token}
    if request.method == "POST":
        unsubscribe_lead(
            lead_id=lead.pk,
            message_id=link.message_id,
            via="one_click" if request.POST.get("List-Unsubscribe") == ONE_CLICK else "page",
        )
        if request.POST.get("List-Unsubscribe") == ONE_CLICK:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "outreach/unsubscribe.html", {**context, "state": "unsubscribed"})
    state = "unsubscribed" if lead.unsubscribed_at else "confirm"
    return render(request, "outreach/unsubscribe.html", {**context, "state": state})


@csrf_exempt
@require_POST
def resubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Only the lead, from its own link, can undo an unsubscribe."""
    found = _link(token)
    if found is None:
        return _invalid_link(request)
    _, lead = found
    result = resubscribe_lead(lead_id=lead.pk)
    return render(
        request,
        "outreach/unsubscribe.html",
        {
            "workspace_name": current_workspace().name,
            "email": lead.email,
            "token": token,
            "state": "resubscribed",
            "still_blocked_by": result.still_blocked_by if result else "",
        },
    )
