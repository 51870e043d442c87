"""/api/v1/leads/{id}/sms: a one-off text to one lead."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from accounts.authentication import acting_user
from crm.api.activity import MessageOut
from crm.models import Message
from outreach.services.lead_sms import send_lead_sms

lead_sms_router = Router(tags=["sms"])


class LeadSmsIn(Schema):
    body: str
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"body": "Hi {{ lead.first_name }}, the webinar starts in an hour!"}]
        },
    )


@lead_sms_router.post("/{int:lead_id}/sms", response={202: MessageOut})
def text_lead(request: HttpRequest, lead_id: int, payload: LeadSmsIn) -> Status:
    """Text one lead now (merge fields allowed) through the workspace's Twilio account; it is
    queued and sent in the background. 409 says why a lead cannot be texted (no consent,
    opted out, undeliverable, no Twilio account); follow the text on the message's
    `status` or the lead's timeline."""
    message: Message = send_lead_sms(actor=acting_user(request), lead_id=lead_id, body=payload.body)
    return Status(202, message)
