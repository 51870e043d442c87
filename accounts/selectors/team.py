"""Reads of the team and its credentials."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey, User
from accounts.permissions import Action, require


def team_members() -> QuerySet[User]:
    """Every member, owners first, then admins, then members, each by email."""
    return User.objects.order_by("role", "email")


def api_keys_visible_to(actor: User) -> QuerySet[ApiKey]:
    """All keys of the workspace, newest first; only for those who manage keys."""
    require(actor, Action.MANAGE_API_KEYS)
    return ApiKey.objects.select_related("created_by").order_by("-created_at")


def active_member_count() -> int:
    return User.objects.filter(is_active=True).count()
