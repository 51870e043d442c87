"""Twilio's two webhooks on a workspace's domain: each text's status callback
(sms.callback_urls.STATUS_PATH, `?message=<our id>`) and the texts leads send to the
workspace's number (INBOUND_PATH). Both are signed by Twilio with the workspace's auth
token; an unsigned or wrongly signed call is 403 and changes nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from outreach.services.twilio_inbound import receive_twilio_text
from outreach.services.twilio_status import apply_twilio_status
from project.errors import error_response
from sms.signatures import twilio_request_verified


def _refused() -> JsonResponse:
    return error_response(
        "bad_signature",
        "This request is not signed by this workspace's Twilio account (X-Twilio-Signature). "
        "Twilio signs with the auth token: store it in Settings → SMS.",
        status=403,
    )


def _number(text: str) -> int | None:
    """A non-negative id or code as Twilio sends it (ASCII digits, within a bigint); None
    for anything else, which no message of ours has."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """A text's fate. Answered 200 even for a message this workspace does not know, so
    that Twilio stops retrying; idempotent: a retry is acknowledged as a duplicate."""
    if not twilio_request_verified(request):
        return _refused()
    result = apply_twilio_status(
        message_id=_number(request.GET.get("message", "")),
        message_sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", "").lower(),
        error_code=_number(request.POST.get("ErrorCode", "")) or 0,
    )
    return JsonResponse({"status": str(result)})


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A text to the workspace's number, answered with TwiML: the keyword's reply (STOP,
    START, HELP), or an empty answer for a reply kept on the lead's conversation."""
    if not twilio_request_verified(request):
        return _refused()
    result = receive_twilio_text(
        message_sid=request.POST.get("MessageSid", ""),
        from_phone=request.POST.get("From", ""),
        to_phone=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
        media_count=_number(request.POST.get("NumMedia", "")) or 0,
    )
    twiml = MessagingResponse()
    if result.reply:
        twiml.message(result.reply)
    return HttpResponse(str(twiml), content_type="text/xml; charset=utf-8")
