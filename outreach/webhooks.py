"""Provider endpoints on a workspace's domain: Postmark's webhook."""

from __future__ import annotations

import base64
import binascii
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from outreach.selectors.email_settings import webhook_credentials_valid
from outreach.services.postmark_events import apply_postmark_event
from project.errors import DomainError, domain_error_response, error_response


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
