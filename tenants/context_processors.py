from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from accounts.permissions import Action, can


def workspace(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "workspace": getattr(request, "tenant", None),
        "show_outbox": not settings.STRICT
        and not settings.POSTMARK_SERVER_TOKEN
        and isinstance(user, User)
        and can(user, Action.READ_DEV_OUTBOX),
    }
