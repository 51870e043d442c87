from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, object]:
    return {
        "workspace": getattr(request, "tenant", None),
        "show_outbox": not settings.STRICT and not settings.POSTMARK_SERVER_TOKEN,
    }
