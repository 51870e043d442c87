"""How a channel's messages reach its provider: the one seam between the delivery engine and
a gateway. The engine claims, renders, leases and reconciles the same way for every channel;
a channel brings a transport that splits a batch into the provider's calls, sends one call,
and finds what a lost call delivered. Email is the first; SMS will be the second."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Protocol

from django.conf import settings

from mail.gateway import Email, SendOutcome, SentMessage, find_sent_messages, send_batch
from mail.gateway import split_into_batches as split_emails

# The metadata key each provider message carries with the attempt's batch key.
BATCH_METADATA_KEY = "crm_batch"


class Transport(Protocol):
    """Raises the gateway's TransientSendError or PermanentSendError, whatever the channel."""

    channel: str

    def split(self, messages: Sequence[Email]) -> Iterator[list[Email]]: ...

    def send(self, batch: Sequence[Email]) -> list[SendOutcome]: ...

    def find_sent(self, batch_key: uuid.UUID) -> list[SentMessage]: ...


class EmailTransport:
    """Postmark's batch endpoint (or the development outbox), through mail.gateway."""

    channel = "email"

    def split(self, messages: Sequence[Email]) -> Iterator[list[Email]]:
        return split_emails(messages, max_messages=settings.CRM_SEND_BATCH_SIZE)

    def send(self, batch: Sequence[Email]) -> list[SendOutcome]:
        return send_batch(list(batch))

    def find_sent(self, batch_key: uuid.UUID) -> list[SentMessage]:
        return find_sent_messages(metadata_key=BATCH_METADATA_KEY, value=batch_key.hex)


TRANSPORTS: dict[str, Transport] = {EmailTransport.channel: EmailTransport()}


def transport_for(channel: str) -> Transport:
    return TRANSPORTS[channel]
