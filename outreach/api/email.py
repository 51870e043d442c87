"""/api/v1/email/settings, the Postmark webhook's password, the suppression list, and
/api/v1/leads/{id}/email (a one-off email to one lead)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from crm.api.activity import MessageOut
from crm.models import Message
from crm.selectors.pagination import MAX_LIMIT, paginate
from outreach.models import EmailSettings, Suppression
from outreach.selectors.audience import suppressions
from outreach.selectors.email_settings import email_settings as get_email_settings
from outreach.services.email_settings import (
    rotate_webhook_secret,
    update_email_settings,
)
from outreach.services.lead_email import send_lead_email
from outreach.services.subscriptions import add_suppression
from project.inputs import Omittable

router = Router(tags=["email"])
suppressions_router = Router(tags=["email"])
lead_email_router = Router(tags=["email"])


class EmailSettingsOut(Schema):
    postal_address: str
    reply_to: str
    webhook_configured: bool
    webhook_url: str


class EmailSettingsPatch(Schema):
    postal_address: Omittable[Annotated[str, StringConstraints(max_length=500)]] = None
    reply_to: Omittable[Annotated[str, StringConstraints(max_length=254)]] = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"postal_address": "Acme Coaching, 1 High Street, Bristol BS1 4DJ, UK"}]
        },
    )


class WebhookSecretOut(Schema):
    username: str
    password: str
    url: str


class SuppressionOut(Schema):
    id: int
    email: str
    reason: str
    lead: int | None = Field(None, alias="lead_id")
    message: int | None = Field(None, alias="message_id")
    created_at: datetime


class SuppressionIn(Schema):
    email: Annotated[str, StringConstraints(max_length=254)]
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "no-more@example.com"}]}
    )


class SuppressionParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None
    reason: Suppression.Reason | None = None


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next: str | None


class LeadEmailIn(Schema):
    subject: Annotated[str, StringConstraints(max_length=255)]
    body: Annotated[str, StringConstraints(max_length=100_000)]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Your call on Thursday",
                    "body": "Hi {{ lead.first_name | default: 'there' }}, here is the link ...",
                }
            ]
        },
    )


def settings_out(request: HttpRequest, email_settings: EmailSettings) -> dict[str, Any]:
    host = request.get_host()
    return {
        "postal_address": email_settings.postal_address,
        "reply_to": email_settings.reply_to,
        "webhook_configured": bool(email_settings.webhook_secret_hash),
        "webhook_url": f"{request.scheme}://{host}/webhooks/postmark",
    }


@router.get("/settings", response=EmailSettingsOut)
def get_settings(request: HttpRequest) -> dict[str, Any]:
    """The postal address every campaign email carries, the reply-to address, and where
    Postmark's webhooks go."""
    return settings_out(request, get_email_settings())


@router.patch("/settings", response=EmailSettingsOut)
def patch_settings(request: HttpRequest, payload: EmailSettingsPatch) -> dict[str, Any]:
    email_settings = update_email_settings(
        actor=acting_user(request), changes=payload.model_dump(exclude_unset=True)
    )
    return settings_out(request, email_settings)


@router.post("/webhook-secret", response=WebhookSecretOut)
def new_webhook_secret(request: HttpRequest) -> Any:
    """A new basic-auth password for Postmark's webhook (shown once; the old one stops).
    Paste `url` into the Postmark server's webhook settings."""
    return rotate_webhook_secret(actor=acting_user(request))


@suppressions_router.get("", response=SuppressionPage)
def list_suppressions(request: HttpRequest, params: Query[SuppressionParams]) -> dict[str, Any]:
    """Addresses this workspace never emails, and why."""
    page = paginate(
        suppressions(reason=params.reason), sort="-id", limit=params.limit, cursor=params.cursor
    )
    return {"items": page.items, "next": page.next}


@suppressions_router.post("", response={201: SuppressionOut})
def post_suppression(request: HttpRequest, payload: SuppressionIn) -> Status:
    """Never email this address again (only its owner can lift an unsubscribe)."""
    return Status(201, add_suppression(actor=acting_user(request), email=payload.email))


@lead_email_router.post("/{int:lead_id}/email", response={202: MessageOut})
def email_lead(request: HttpRequest, lead_id: int, payload: LeadEmailIn) -> Status:
    """Email one lead now (merge fields allowed); it is queued and sent in the background.
    Follow its fate on the message (`status`) or the lead's timeline."""
    message: Message = send_lead_email(
        actor=acting_user(request), lead_id=lead_id, subject=payload.subject, body=payload.body
    )
    return Status(202, message)
