"""A member's browser sessions, in the session table of the current schema."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User


def end_sessions(user: User) -> int:
    """Delete every live session signed in as `user`; returns how many ended.

    Sessions are stored encoded, with the user id inside, so each live one is decoded: a
    workspace has few, and this runs only when an account is shut.
    """
    signed_in = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=signed_in).delete()
    return len(signed_in)
