"""The email gateway. Settings choose it: Postmark (postmarker, pointed at POSTMARK_API_URL)
when POSTMARK_SERVER_TOKEN is set, else the development outbox, a table in the current
schema that the app shows at /dev/outbox/. Nothing is ever silently dropped.

Both gateways speak the same three calls: send one email, send a batch (one outcome per
email, read one by one), and find what was already accepted by a metadata value (how a
sender that crashed mid-call learns what went out before it sends anything again).
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr
from typing import Any, Protocol

import requests
import structlog
from django.conf import settings
from postmarker.core import PostmarkClient
from postmarker.exceptions import ClientError

from mail.models import OutboxEmail
from project.metrics import count_emails_failed, count_emails_sent

log = structlog.get_logger(__name__)

BATCH_MAX_MESSAGES = 500  # Postmark's batch endpoint takes at most 500 messages a call
BATCH_MAX_BYTES = 50 * 1024 * 1024  # and at most 50 MB of JSON
SEARCH_PAGE = 500  # message search answers at most 500 a page
INACTIVE_RECIPIENT = 406  # Postmark: the address bounced or complained before


def transactional_stream() -> str:
    return str(settings.POSTMARK_TRANSACTIONAL_STREAM)


def broadcast_stream() -> str:
    return str(settings.POSTMARK_BROADCAST_STREAM)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text_body: str
    html_body: str = ""
    stream: str = ""  # empty: the transactional stream
    tag: str = ""
    from_name: str = ""  # shown before the sender address
    reply_to: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # The sender's own address, on a domain verified with Postmark; empty: the platform's
    # (CRM_EMAIL_FROM). The caller decides which: this layer knows no workspace.
    from_email: str = ""

    @property
    def from_address(self) -> str:
        name, address = parseaddr(settings.CRM_EMAIL_FROM)
        return formataddr((self.from_name or name, self.from_email or address))

    @property
    def message_stream(self) -> str:
        return self.stream or transactional_stream()


class SendError(Exception):
    """A call that did not go through as a whole."""


class TransientSendError(SendError):
    """429, 5xx, a timeout or a dropped connection: try again later, as told if told.

    `accepted_nothing` is true when the provider answered and so certainly accepted none of
    the messages (429, 503 before processing); false when they may have gone (a timeout, a
    dropped connection, a 500 after reading the batch): look before resending.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, accepted_nothing: bool = False
    ):
        super().__init__(message)
        self.retry_after = retry_after
        self.accepted_nothing = accepted_nothing


class PermanentSendError(SendError):
    """Any other refusal of the whole call (a bad token, a malformed batch): do not retry."""


@dataclass(frozen=True)
class SendOutcome:
    """What the provider said about one message of a batch; Postmark's batch call answers
    200 even when it refuses single messages, so each is read on its own."""

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


@dataclass(frozen=True)
class SentMessage:
    """A message the provider already accepted, as its message search shows it."""

    provider_id: str
    metadata: dict[str, str]


class EmailGateway(Protocol):
    def send(self, email: Email) -> str: ...

    def send_batch(self, emails: Sequence[Email]) -> list[SendOutcome]: ...

    def find_sent(self, *, metadata_key: str, value: str) -> list[SentMessage]: ...


def delivers_to_outbox() -> bool:
    """True when no Postmark server token is configured: email goes to the development
    outbox, and pages say so rather than that Postmark took it."""
    return not settings.POSTMARK_SERVER_TOKEN


def gateway() -> EmailGateway:
    """Postmark when a server token is configured, else the development outbox."""
    if delivers_to_outbox():
        return OutboxGateway()
    return PostmarkGateway()


def send_email(email: Email) -> str:
    """Send one email now; returns the provider's message id (or the outbox row's)."""
    try:
        provider_id = gateway().send(email)
    except SendError as error:
        count_emails_failed(stream=email.message_stream, reason=failure_reason(error))
        raise
    count_emails_sent(stream=email.message_stream)
    return provider_id


def send_batch(emails: Sequence[Email]) -> list[SendOutcome]:
    """Send up to 500 emails (50 MB) in one call; one outcome per email, in order.

    Raises TransientSendError (retry later, honouring `retry_after`) or PermanentSendError
    when the call as a whole fails; ValueError if the batch is over Postmark's limits.
    """
    try:
        outcomes = gateway().send_batch(emails)
    except SendError as error:
        for stream, count in Counter(email.message_stream for email in emails).items():
            count_emails_failed(stream=stream, reason=failure_reason(error), count=count)
        raise
    tally = Counter(
        (email.message_stream, outcome.accepted)
        for email, outcome in zip(emails, outcomes, strict=True)
    )
    for (stream, accepted), count in tally.items():
        if accepted:
            count_emails_sent(stream=stream, count=count)
        else:
            count_emails_failed(stream=stream, reason="refused", count=count)
    return outcomes


def failure_reason(error: SendError) -> str:
    """The metrics' reason for a whole call that failed: it is retried, or it is not."""
    return "transient" if isinstance(error, TransientSendError) else "permanent"


def find_sent_messages(*, metadata_key: str, value: str) -> list[SentMessage]:
    """Every message already accepted with this metadata value (all pages)."""
    return gateway().find_sent(metadata_key=metadata_key, value=value)


def find_sent_message_ids(*, metadata_key: str, value: str) -> list[str]:
    return [m.provider_id for m in find_sent_messages(metadata_key=metadata_key, value=value)]


# Every line break and other vertical whitespace str.splitlines() knows (\v, \f, file and
# group separators, NEL, U+2028, U+2029): in a header value any of them may start a new header.
LINE_BREAKS = re.compile("[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def one_line(value: str) -> str:
    """A header value with each run of line breaks replaced by one space."""
    return LINE_BREAKS.sub(" ", value).strip()


def header_safe(email: Email) -> Email:
    """The email with no line break left in anything that becomes a header (To, Subject,
    the From name, Reply-To, the tag and extra headers), so that no name a customer or a
    member typed can add a header of its own."""
    return dataclasses.replace(
        email,
        to=one_line(email.to),
        subject=one_line(email.subject),
        from_name=one_line(email.from_name),
        from_email=one_line(email.from_email),
        reply_to=one_line(email.reply_to),
        tag=one_line(email.tag),
        headers={one_line(name): one_line(value) for name, value in email.headers.items()},
    )


def message_payload(email: Email) -> dict[str, Any]:
    """The email as Postmark's API takes it: the one function every outgoing email passes
    through, to Postmark or to the development outbox, so its headers are made safe here."""
    email = header_safe(email)
    message: dict[str, Any] = {
        "From": email.from_address,
        "To": email.to,
        "Subject": email.subject,
        "TextBody": email.text_body,
        "MessageStream": email.message_stream,
    }
    if email.html_body:
        message["HtmlBody"] = email.html_body
    if email.reply_to:
        message["ReplyTo"] = email.reply_to
    if email.tag:
        message["Tag"] = email.tag
    if email.metadata:
        message["Metadata"] = email.metadata
    if email.headers:
        message["Headers"] = dict(email.headers)  # postmarker sends them as Name/Value pairs
    return message


def payload_size(email: Email) -> int:
    return len(json.dumps(message_payload(email)).encode())


def payload_bound(email: Email) -> int:
    """At least payload_size(email), without encoding it: JSON spends at most 12 bytes on a
    character (an escaped surrogate pair), plus the keys and punctuation. Encoding every
    message only to learn that 500 of them are far below 50 MB would be work on the hot path."""
    texts = [email.to, email.subject, email.text_body, email.html_body, email.from_address]
    texts += [email.reply_to, email.tag, email.message_stream]
    texts += [*email.metadata.keys(), *email.metadata.values()]
    texts += [*email.headers.keys(), *email.headers.values()]
    return 12 * sum(len(text) for text in texts) + 512


def _fits(emails: Sequence[Email], max_bytes: int) -> bool:
    if sum(payload_bound(email) for email in emails) + 2 <= max_bytes:
        return True
    return len(json.dumps([message_payload(email) for email in emails]).encode()) <= max_bytes


def split_into_batches(
    emails: Sequence[Email],
    *,
    max_messages: int = BATCH_MAX_MESSAGES,
    max_bytes: int = BATCH_MAX_BYTES,
) -> Iterator[list[Email]]:
    """Consecutive runs of the emails, each within Postmark's count and payload limits.

    Raises ValueError for a single email larger than the payload limit on its own.
    """
    batch: list[Email] = []
    size = 2  # the brackets of the JSON array
    for email in emails:
        email_size = payload_bound(email) + 1  # and its comma
        if size + email_size > max_bytes:  # near a limit: measure it exactly
            email_size = payload_size(email) + 1
        if email_size + 2 > max_bytes:
            raise ValueError(f"an email to {email.to} is larger than a batch may be")
        if batch and (len(batch) >= max_messages or size + email_size > max_bytes):
            yield batch
            batch, size = [], 2
        batch.append(email)
        size += email_size
    if batch:
        yield batch


# --- Postmark -----------------------------------------------------------------------------

_clients = threading.local()


def postmark_client() -> PostmarkClient:
    """One client per thread and configuration, so that its HTTP connection is reused."""
    key = (
        settings.POSTMARK_SERVER_TOKEN,
        settings.POSTMARK_API_URL,
        settings.POSTMARK_TIMEOUT_SECONDS,
    )
    cached = getattr(_clients, "entry", None)
    if cached is None or cached[0] != key:
        client = PostmarkClient(
            server_token=settings.POSTMARK_SERVER_TOKEN,
            root_api_url=settings.POSTMARK_API_URL,
            timeout=settings.POSTMARK_TIMEOUT_SECONDS,
        )
        _clients.entry = cached = (key, client)
    return cached[1]


class PostmarkGateway:
    def send(self, email: Email) -> str:
        payload = message_payload(email)
        with postmark_errors():
            answer = postmark_client().emails.send(**payload)
        log.info("email_sent", provider_id=answer["MessageID"], tag=email.tag)
        return str(answer["MessageID"])

    def send_batch(self, emails: Sequence[Email]) -> list[SendOutcome]:
        if len(emails) > BATCH_MAX_MESSAGES:
            raise ValueError(f"a batch holds at most {BATCH_MAX_MESSAGES} messages")
        if not _fits(emails, BATCH_MAX_BYTES):
            raise ValueError("a batch holds at most 50 MB")
        messages = [message_payload(email) for email in emails]
        if not messages:
            return []
        with postmark_errors():
            answers = postmark_client().emails.send_batch(*messages)
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

    def find_sent(self, *, metadata_key: str, value: str) -> list[SentMessage]:
        found: list[SentMessage] = []
        offset = 0
        while True:
            with postmark_errors():
                answer = postmark_client().call(
                    "GET",
                    "/messages/outbound",
                    count=SEARCH_PAGE,
                    offset=offset,
                    **{f"metadata_{metadata_key}": value},
                )
            page = answer.get("Messages") or []
            found += [
                SentMessage(
                    provider_id=str(message["MessageID"]),
                    metadata={k: str(v) for k, v in (message.get("Metadata") or {}).items()},
                )
                for message in page
            ]
            offset += len(page)
            if len(page) < SEARCH_PAGE or offset >= int(answer.get("TotalCount") or 0):
                return found


@contextmanager
def postmark_errors() -> Iterator[None]:
    """Postmark's failures as ours: transient (retry later) or permanent (do not)."""
    try:
        yield
    except ClientError as error:
        raise _classify(error) from error
    except requests.HTTPError as error:  # an error answer without a JSON body
        raise _classify_status(error.response, str(error)) from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise TransientSendError(f"Postmark did not answer: {error}") from error


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
        return TransientSendError(
            f"Postmark answered {status}: {message}",
            retry_after=retry_after,
            # A 429 or a 503 is answered before the batch is taken in; a 500 may come after.
            accepted_nothing=status in (429, 503),
        )
    return PermanentSendError(f"Postmark refused the call ({status}): {message}")


# --- Development outbox --------------------------------------------------------------------


class OutboxGateway:
    """Stores every email in the current schema's outbox, shown at /dev/outbox/."""

    def send(self, email: Email) -> str:
        row = OutboxEmail.objects.create(**_outbox_fields(email))
        log.info("email_stored_in_outbox", outbox_id=row.pk, tag=email.tag)
        return f"outbox-{row.pk}"

    def send_batch(self, emails: Sequence[Email]) -> list[SendOutcome]:
        if len(emails) > BATCH_MAX_MESSAGES:
            raise ValueError(f"a batch holds at most {BATCH_MAX_MESSAGES} messages")
        rows = OutboxEmail.objects.bulk_create(
            [OutboxEmail(**_outbox_fields(email)) for email in emails]
        )
        log.info("email_batch_stored_in_outbox", size=len(rows))
        return [SendOutcome(to=row.to, provider_id=f"outbox-{row.pk}") for row in rows]

    def find_sent(self, *, metadata_key: str, value: str) -> list[SentMessage]:
        rows = OutboxEmail.objects.filter(metadata__contains={metadata_key: value})
        return [SentMessage(provider_id=f"outbox-{row.pk}", metadata=row.metadata) for row in rows]


def _outbox_fields(email: Email) -> dict[str, Any]:
    """What Postmark would have been sent, as an outbox row."""
    message = message_payload(email)
    return {
        "to": message["To"],
        "subject": message["Subject"][:255],
        "text_body": message["TextBody"],
        "html_body": message.get("HtmlBody", ""),
        "stream": message["MessageStream"],
        "tag": message.get("Tag", ""),
        "from_email": message["From"],
        "reply_to": message.get("ReplyTo", ""),
        "metadata": message.get("Metadata", {}),
        "headers": message.get("Headers", {}),
    }
