"""The email gateway. Settings choose it: Postmark (postmarker, pointed at POSTMARK_API_URL)
when POSTMARK_SERVER_TOKEN is set, else the development outbox, a table in the current
schema that the app shows at /dev/outbox/. Nothing is ever silently dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from django.conf import settings
from postmarker.core import PostmarkClient

from accounts.models import OutboxEmail

log = structlog.get_logger(__name__)
TRANSACTIONAL_STREAM = "outbound"
BROADCAST_STREAM = "broadcast"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text_body: str
    html_body: str = ""
    stream: str = TRANSACTIONAL_STREAM
    tag: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


def postmark_client() -> PostmarkClient:
    return PostmarkClient(
        server_token=settings.POSTMARK_SERVER_TOKEN,
        root_api_url=settings.POSTMARK_API_URL,
        timeout=10,
    )


def send_email(email: Email) -> str:
    """Send one email now; returns the provider's message id (or the outbox row's)."""
    if not settings.POSTMARK_SERVER_TOKEN:
        row = OutboxEmail.objects.create(
            to=email.to,
            subject=email.subject,
            text_body=email.text_body,
            html_body=email.html_body,
            stream=email.stream,
            tag=email.tag,
        )
        log.info("email_stored_in_outbox", outbox_id=row.pk, tag=email.tag)
        return f"outbox-{row.pk}"
    answer = postmark_client().emails.send(
        From=settings.CRM_EMAIL_FROM,
        To=email.to,
        Subject=email.subject,
        TextBody=email.text_body,
        HtmlBody=email.html_body or None,
        MessageStream=email.stream,
        Tag=email.tag or None,
        Metadata=email.metadata or None,
    )
    log.info("email_sent", provider_id=answer["MessageID"], tag=email.tag)
    return str(answer["MessageID"])
