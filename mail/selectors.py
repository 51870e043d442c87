"""Reads of the development outbox."""

from __future__ import annotations

from mail.models import OutboxEmail

OUTBOX_SHOWN = 50


def latest_outbox_emails(limit: int = OUTBOX_SHOWN) -> list[OutboxEmail]:
    """What this schema would have sent, newest first."""
    return list(OutboxEmail.objects.all()[:limit])
