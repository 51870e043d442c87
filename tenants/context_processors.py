from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, can

# The sidebar: (label, url, icon, who may see it). A section is current when the path starts
# with its url ("/" only for the dashboard itself).
NAV = [
    ("Dashboard", "/", "dashboard", None),
    ("Leads", "/leads/", "leads", None),
    ("Pipeline", "/pipeline/", "pipeline", None),
    ("Tasks", "/tasks/", "tasks", None),
    ("Campaigns", "/campaigns/", "campaigns", None),
    ("Products", "/products/", "products", None),
    ("Payments", "/payments/", "payments", None),
    ("Team", "/team/", "team", Action.MANAGE_TEAM),
    ("Settings", "/settings/", "settings", Action.MANAGE_WORKSPACE),
]


def _nav_items(path: str, user: User) -> list[dict[str, object]]:
    items = []
    for label, url, icon, action in NAV:
        if action is not None and not can(user, action):
            continue
        current = path == "/" if url == "/" else path.startswith(url)
        items.append({"label": label, "url": url, "icon": icon, "current": current})
    return items


def workspace(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    tenant = getattr(request, "tenant", None)
    in_app = (
        tenant is not None and not getattr(tenant, "is_public", True) and isinstance(user, User)
    )
    return {
        "workspace": tenant,
        "in_app": in_app,
        "nav_items": _nav_items(request.path, user) if in_app else [],  # type: ignore[arg-type]
        "workspace_time_zone": timezone.get_current_timezone_name(),
        "show_outbox": not settings.STRICT
        and not settings.POSTMARK_SERVER_TOKEN
        and isinstance(user, User)
        and can(user, Action.READ_DEV_OUTBOX),
    }
