"""Pages and endpoints of a workspace's domain that are not the REST API: the unsubscribe
page a lead reaches from an email (signed out), and Postmark's webhook."""

from __future__ import annotations

import base64
import binascii
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import Lead
from crm.selectors.leads import find_lead
from outreach.selectors.email_settings import webhook_credentials_valid
from outreach.services.postmark_events import apply_postmark_event
from outreach.services.subscriptions import resubscribe_lead, unsubscribe_lead
from outreach.unsubscribe_links import UnsubscribeLink, read_unsubscribe_token
from project.errors import DomainError, domain_error_response, error_response
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


def _basic_auth(request: HttpRequest) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


@csrf_exempt
@require_POST
def postmark_webhook(request: HttpRequest) -> HttpResponse:
    """Postmark's delivery events for this workspace, behind this workspace's basic-auth
    password (POST /api/v1/email/webhook-secret). Idempotent: a retry is acknowledged."""
    credentials = _basic_auth(request)
    if credentials is None or not webhook_credentials_valid(
        username=credentials[0], password=credentials[1]
    ):
        response = error_response(
            "not_authenticated",
            "Use this workspace's webhook user and password (POST /api/v1/email/webhook-secret).",
            status=401,
        )
        response["WWW-Authenticate"] = 'Basic realm="postmark"'
        return response
    try:
        payload = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error_response("malformed_json", "The request body is not valid JSON.", status=400)
    if not isinstance(payload, dict):
        return error_response("malformed_json", "Send one event as a JSON object.", status=400)
    try:
        result = apply_postmark_event(payload)
    except DomainError as error:
        return domain_error_response(error)
    return JsonResponse({"status": result})
