"""Single-use link secrets. The raw secret goes into a link once; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from accounts.errors import LinkInvalid
from accounts.models import OneTimeToken, User

LIFETIMES = {
    OneTimeToken.Purpose.HANDOFF: timedelta(minutes=2),
    OneTimeToken.Purpose.PASSWORD_RESET: timedelta(hours=1),
    OneTimeToken.Purpose.INVITATION: timedelta(days=7),
    OneTimeToken.Purpose.EMAIL_VERIFICATION: timedelta(days=3),
}


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def issue_one_time_token(
    *,
    purpose: str,
    user: User | None = None,
    email: str = "",
    role: str = "",
    created_by: User | None = None,
) -> tuple[str, OneTimeToken]:
    """Store a new single-use token for `purpose`; return its raw secret and its row."""
    raw = new_secret()
    token = OneTimeToken.objects.create(
        purpose=purpose,
        token_hash=hash_secret(raw),
        user=user,
        email=email or (user.email if user else ""),
        role=role,
        created_by=created_by,
        expires_at=timezone.now() + LIFETIMES[OneTimeToken.Purpose(purpose)],
    )
    return raw, token


def find_one_time_token(*, purpose: str, raw: str) -> OneTimeToken | None:
    """The still-usable token for this secret, without using it up (to show a form)."""
    return (
        OneTimeToken.objects.filter(
            purpose=purpose,
            token_hash=hash_secret(raw or ""),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("user")
        .first()
    )


class InvitationState(StrEnum):
    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # never issued here, withdrawn, or replaced by a newer one


def invitation_state(raw: str) -> InvitationState:
    """What an invitation link is now, so its page can say so truthfully."""
    invitation = OneTimeToken.objects.filter(
        purpose=OneTimeToken.Purpose.INVITATION, token_hash=hash_secret(raw or "")
    ).first()
    if invitation is None:
        return InvitationState.UNKNOWN
    if invitation.used_at is not None:
        return InvitationState.USED
    if invitation.expires_at <= timezone.now():
        return InvitationState.EXPIRED
    return InvitationState.USABLE


@transaction.atomic
def consume_one_time_token(*, purpose: str, raw: str) -> OneTimeToken:
    """Mark the token used and return it; raise LinkInvalid when unknown, used or expired.

    The conditional UPDATE makes it single-use under concurrency: two clicks, one winner.
    """
    now = timezone.now()
    claimed = OneTimeToken.objects.filter(
        purpose=purpose,
        token_hash=hash_secret(raw or ""),
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if claimed != 1:
        raise LinkInvalid()
    return OneTimeToken.objects.select_related("user").get(token_hash=hash_secret(raw))
