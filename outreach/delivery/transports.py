"""How a channel's messages reach its provider: the one seam between the delivery engine and
a gateway. The engine claims, renders, leases, settles and reconciles the same way for every
channel; a channel brings a transport that splits a batch into the provider's calls, sends
them, reads each answer as an Outcome, and finds what a lost call delivered.

Email goes through Postmark's batch endpoint (up to 500 per call, one answer per message).
SMS goes through Twilio, which takes one message per call: a batch is split into chunks of
CRM_SMS_SEND_CHUNK texts, each chunk's calls made by a small thread pool
(CRM_SMS_SEND_THREADS) and its outcomes settled together as soon as the chunk answers, so a
killed worker leaves at most a chunk's texts to reconcile and throughput is a pool's, not one
call's round trip per text.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

from mail.gateway import (
    Email,
    PermanentSendError,
    SendError,
    SendOutcome,
    find_sent_messages,
    send_batch,
)
from mail.gateway import split_into_batches as split_emails
from sms.gateway import SentSms, Sms, SmsRefused, find_sent_sms, send_sms

if TYPE_CHECKING:
    from outreach.delivery.outgoing import Outgoing

# The metadata key each provider message carries with the attempt's batch key.
BATCH_METADATA_KEY = "crm_batch"
# Twilio refusals that are about the workspace's account or sender, not the recipient:
# every other text would be refused the same way, so the run stops (the campaign pauses,
# saying to fix the account) instead of failing each text in turn.
SENDER_PROBLEM_CODES = frozenset(
    {
        10001,  # the account is not active
        20404,  # no such account (a wrong account SID)
        21212,  # the 'From' number is not valid
        21606,  # the 'From' number is not a message-capable Twilio number
        21659,  # the 'From' number is not a Twilio number
        21703,  # the messaging service is not valid, or has no sender in its pool
        21704,  # the messaging service has no phone numbers
    }
)


@dataclass(frozen=True)
class Outcome:
    """How one claimed message settles."""

    message_id: int
    status: str  # sent | failed | suppressed
    provider_id: str = ""
    error_code: int = 0
    error: str = ""
    subject: str | None = None  # the subject the lead saw, when rendered at send time
    segments: int | None = None  # a text's billed parts, as the provider counted them
    # What the answer says about the recipient: "undeliverable" (the number can never take
    # a text) or "opted_out" (they replied STOP to this sender); "" for nothing.
    effect: str = ""


@dataclass(frozen=True)
class HeldMessage:
    """A message whose attempt outlived its lease, as reconciliation looks it up."""

    message_id: int
    to_phone: str
    body: str
    attempted_at: datetime | None


@dataclass(frozen=True)
class Arrived:
    """A message the provider has, found after its answer was lost."""

    provider_id: str
    segments: int | None = None


class Transport(Protocol):
    """Raises the gateway's TransientSendError or PermanentSendError, whatever the channel."""

    channel: str

    def split(self, messages: Sequence[Any]) -> Iterator[list[Any]]: ...

    def send(self, outgoing: Outgoing, batch: Sequence[Any]) -> list[Any]:
        """One answer per message, in order; raises when the whole call failed. An answer
        may be a SendError of that message's own call (see outcome_of)."""
        ...

    def outcome_of(self, message_id: int, message: Any, answer: Any) -> Outcome | None:
        """How the message settles; None when its answer is a failed call (retry, or stop
        the run), which the engine handles like a failed batch."""
        ...

    def arrived(
        self, outgoing: Outgoing, batch_key: uuid.UUID, held: Sequence[HeldMessage]
    ) -> dict[int, list[Arrived]]:
        """What the provider has of these messages (candidates per message id)."""
        ...


class EmailTransport:
    """Postmark's batch endpoint (or the development outbox), through mail.gateway."""

    channel = "email"

    def split(self, messages: Sequence[Email]) -> Iterator[list[Email]]:
        return split_emails(messages, max_messages=settings.CRM_SEND_BATCH_SIZE)

    def send(self, outgoing: Outgoing, batch: Sequence[Email]) -> list[SendOutcome]:
        return send_batch(list(batch))

    def outcome_of(self, message_id: int, message: Email, answer: SendOutcome) -> Outcome:
        if answer.accepted:
            return Outcome(message_id, "sent", answer.provider_id, subject=message.subject)
        if answer.suppress_recipient:
            status, error = "suppressed", f"Postmark: inactive recipient ({answer.reason})"
        else:
            status, error = "failed", f"Postmark refused it ({answer.error_code}): {answer.reason}"
        return Outcome(
            message_id, status, error_code=answer.error_code, error=error, subject=message.subject
        )

    def find_sent(self, batch_key: uuid.UUID) -> list[Any]:
        return find_sent_messages(metadata_key=BATCH_METADATA_KEY, value=batch_key.hex)

    def arrived(
        self, outgoing: Outgoing, batch_key: uuid.UUID, held: Sequence[HeldMessage]
    ) -> dict[int, list[Arrived]]:
        prefix = f"{outgoing.workspace.pk}."
        found: dict[int, list[Arrived]] = {}
        for message in self.find_sent(batch_key):
            tag = str(message.metadata.get("crm_message", ""))
            if tag.startswith(prefix):
                found[int(tag.removeprefix(prefix))] = [Arrived(message.provider_id)]
        return found


class SmsTransport:
    """Twilio through sms.gateway with the workspace's own account: one call per text,
    made by a small per-process thread pool."""

    channel = "sms"

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._lock = threading.Lock()

    def pool(self) -> ThreadPoolExecutor:
        with self._lock:
            # A forked worker process does not inherit the parent's threads: a pool of its own.
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(
                    max_workers=max(1, settings.CRM_SMS_SEND_THREADS),
                    thread_name_prefix="sms-send",
                )
                self._pool_pid = os.getpid()
            return self._pool

    def split(self, messages: Sequence[Sms]) -> Iterator[list[Sms]]:
        size = max(1, settings.CRM_SMS_SEND_CHUNK)
        for start in range(0, len(messages), size):
            yield list(messages[start : start + size])

    def send(self, outgoing: Outgoing, batch: Sequence[Sms]) -> list[SentSms | SendError]:
        credentials = outgoing.sms_credentials()

        def one(sms: Sms) -> SentSms | SendError:
            try:
                return send_sms(credentials, sms)
            except SendError as error:
                return error

        if len(batch) == 1:
            return [one(batch[0])]
        return list(self.pool().map(one, batch))

    def outcome_of(self, message_id: int, message: Sms, answer: Any) -> Outcome | None:
        if isinstance(answer, SentSms):
            return Outcome(message_id, "sent", answer.sid, segments=answer.segments)
        if (
            not isinstance(answer, SmsRefused)
            or answer.bad_credentials
            or answer.code in SENDER_PROBLEM_CODES
        ):
            return None  # 429, 5xx, a timeout, or an account or sender Twilio refuses: the run's
        if answer.recipient_opted_out:
            return Outcome(
                message_id,
                "suppressed",
                error_code=answer.code,
                error=f"Not sent: this number replied STOP to your Twilio sender ({answer.code}).",
                effect="opted_out",
            )
        if answer.recipient_undeliverable:
            return Outcome(
                message_id,
                "failed",
                error_code=answer.code,
                error=f"Twilio cannot deliver to this number ({answer.code}): {answer}",
                effect="undeliverable",
            )
        return Outcome(
            message_id, "failed", error_code=answer.code, error=f"Twilio refused it: {answer}"
        )

    def arrived(
        self, outgoing: Outgoing, batch_key: uuid.UUID, held: Sequence[HeldMessage]
    ) -> dict[int, list[Arrived]]:
        """Twilio keeps no metadata: each text is looked up by its number, its body (written
        on the message before the call) and the time its attempt began."""
        credentials = outgoing.sms_credentials()
        account = outgoing.sms_account
        from_number = account.phone_number if account is not None else ""
        found: dict[int, list[Arrived]] = {}
        for message in held:
            if not message.to_phone or not message.body or message.attempted_at is None:
                continue
            texts = find_sent_sms(
                credentials,
                to=message.to_phone,
                body=message.body,
                since=message.attempted_at,
                from_number=from_number,
            )
            if texts:
                found[message.message_id] = [Arrived(text.sid, text.segments) for text in texts]
        return found


def no_sms_account() -> PermanentSendError:
    return PermanentSendError("No Twilio account is connected.")


TRANSPORTS: dict[str, Transport] = {
    EmailTransport.channel: EmailTransport(),
    SmsTransport.channel: SmsTransport(),
}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
