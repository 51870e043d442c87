"""The email gateway. Settings choose it: Postmark (postmarker, pointed at POSTMARK_API_URL)
when POSTMARK_SERVER_TOKEN is set, else the development outbox, a table in the current
schema that the app shows at /dev/outbox/. Nothing is ever silently dropped."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import structlog
from django.conf import settings
from postmarker.core import PostmarkClient
from postmarker.exceptions import ClientError

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
    headers: dict[str, str] = field(default_factory=dict)


def postmark_client() -> PostmarkClient:
    return PostmarkClient(
        server_token=settings.POSTMARK_SERVER_TOKEN,
        root_api_url=settings.POSTMARK_API_URL,
        timeout=settings.POSTMARK_TIMEOUT_SECONDS,
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


# --- Batches (campaigns) ------------------------------------------------------------------

BATCH_MAX_MESSAGES = 500  # Postmark's batch endpoint takes at most 500 messages a call
BATCH_MAX_BYTES = 50 * 1024 * 1024  # and at most 50 MB of JSON
INACTIVE_RECIPIENT = 406  # Postmark: the address bounced or complained before


class SendError(Exception):
    """A batch call that did not go through as a whole."""


class TransientSendError(SendError):
    """429, 5xx, a timeout or a dropped connection: try again later, as told if told."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Any other refusal of the whole call (a bad token, a malformed batch): do not retry."""


@dataclass(frozen=True)
class SendOutcome:
    """What Postmark said about one message of a batch; the call itself answers 200 even when
    it refuses single messages, so each is read on its own."""

    to: str
    provider_id: str = ""
    error_code: int = 0
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.error_code == 0

    @property
    def suppress_recipient(self) -> bool:
        return self.error_code == INACTIVE_RECIPIENT


def _batch_message(email: Email) -> dict[str, Any]:
    message: dict[str, Any] = {
        "From": settings.CRM_EMAIL_FROM,
        "To": email.to,
        "Subject": email.subject,
        "TextBody": email.text_body,
        "MessageStream": email.stream,
    }
    if email.html_body:
        message["HtmlBody"] = email.html_body
    if email.tag:
        message["Tag"] = email.tag
    if email.metadata:
        message["Metadata"] = email.metadata
    if email.headers:
        message["Headers"] = dict(email.headers)  # postmarker sends them as Name/Value pairs
    return message


def send_batch(emails: Sequence[Email]) -> list[SendOutcome]:
    """Send up to 500 emails in one Postmark batch call; one outcome per email, in order.

    Raises TransientSendError (retry later, honouring `retry_after`) or PermanentSendError
    when the call as a whole fails; ValueError if the batch is over Postmark's limits.
    """
    messages = [_batch_message(email) for email in emails]
    if len(messages) > BATCH_MAX_MESSAGES:
        raise ValueError(f"a batch holds at most {BATCH_MAX_MESSAGES} messages")
    if len(json.dumps(messages).encode()) > BATCH_MAX_BYTES:
        raise ValueError("a batch holds at most 50 MB")
    if not messages:
        return []
    try:
        answers = postmark_client().emails.send_batch(*messages)
    except ClientError as error:
        raise _classify(error) from error
    except requests.HTTPError as error:  # an error answer without a JSON body
        raise _classify_status(error.response, str(error)) from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise TransientSendError(f"Postmark did not answer: {error}") from error
    outcomes = [
        SendOutcome(
            to=str(answer.get("To") or email.to),
            provider_id=str(answer.get("MessageID") or ""),
            error_code=int(answer.get("ErrorCode") or 0),
            reason="" if not answer.get("ErrorCode") else str(answer.get("Message")),
        )
        for email, answer in zip(emails, answers, strict=True)
    ]
    log.info(
        "email_batch_sent",
        size=len(outcomes),
        refused=sum(not outcome.accepted for outcome in outcomes),
    )
    return outcomes


def _classify(error: ClientError) -> SendError:
    cause = error.__cause__
    response = getattr(cause, "response", None)
    return _classify_status(response, str(error))


def _classify_status(response: Any, message: str) -> SendError:
    status = getattr(response, "status_code", 0)
    if status == 429 or status >= 500:
        retry_after = None
        header = response.headers.get("Retry-After") if response is not None else None
        if header and header.strip().isdigit():
            retry_after = float(header)
        return TransientSendError(f"Postmark answered {status}: {message}", retry_after=retry_after)
    return PermanentSendError(f"Postmark refused the batch ({status}): {message}")


def find_sent_message_ids(*, metadata_key: str, value: str) -> list[str]:
    """Postmark ids of messages already accepted with this metadata (message search).

    How a sender learns, after a crash or a dropped connection, whether a message it was
    about to send has in fact gone, before it sends it again.
    """
    answer = postmark_client().call(
        "GET", "/messages/outbound", count=50, offset=0, **{f"metadata_{metadata_key}": value}
    )
    return [str(message["MessageID"]) for message in answer.get("Messages", [])]
