from __future__ import annotations

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, object]:
    return {"workspace": getattr(request, "tenant", None)}
