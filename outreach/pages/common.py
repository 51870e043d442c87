"""What every outreach page shares: the signed-in guard and the manager check."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from accounts.permissions import Action, can
from project.errors import Forbidden
from project.pages import page


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _back_to_campaigns(request: HttpRequest) -> tuple[str, str] | None:
    if request.path.startswith("/campaigns/"):
        return ("/campaigns/", "Back to campaigns")
    return None


# Signed-in people only; a DomainError the view lets through becomes the error page.
workspace_page = page(back=_back_to_campaigns)


def require_manager(user: User) -> None:
    """Members may look at campaigns; the forms that change them are for admins and owners
    (the services refuse them too)."""
    if not can(user, Action.MANAGE_CAMPAIGNS):
        raise Forbidden(
            "Only admins and the owner write campaigns and change email settings. Ask one of them."
        )
