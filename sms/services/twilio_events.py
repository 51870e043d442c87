"""Twilio callbacks already applied (sms.TwilioEvent): what makes the status and inbound
webhooks idempotent. Twilio retries a callback it got no answer to; the same key again means
the effects are already in the database."""

from __future__ import annotations

from django.db import connection


def record_twilio_event(*, key: str, kind: str, message_id: int | None = None) -> bool:
    """Note this callback in the caller's transaction; False when it was noted before (the
    caller then changes nothing). Two copies at once: the second waits for the first's
    transaction on the unique key, and is the duplicate once that commits."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO sms_twilioevent (key, kind, message_id, received_at)
            VALUES (%s, %s, %s, now())
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """,
            [key[:80], kind, message_id],
        )
        return cursor.fetchone() is not None


def link_twilio_event(*, key: str, message_id: int) -> None:
    """Name the message a callback made (an inbound text is stored after it is noted)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sms_twilioevent SET message_id = %s WHERE key = %s", [message_id, key[:80]]
        )
