"""Reads of the team and its credentials."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiKey, OneTimeToken, User
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


def pending_invitations() -> QuerySet[OneTimeToken]:
    """Invitations nobody has accepted yet, newest first; expired ones too, so they can be
    sent again (each row's `expires_at` says which)."""
    return (
        OneTimeToken.objects.filter(purpose=OneTimeToken.Purpose.INVITATION, used_at__isnull=True)
        .select_related("created_by")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class MemberCredentials:
    sessions: int
    api_keys: int


def member_credentials(member: User) -> MemberCredentials:
    """What deactivating a member would end: their browser sessions and their active keys."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).iterator()
    return MemberCredentials(
        sessions=sum(1 for s in live if s.get_decoded().get(SESSION_KEY) == str(member.pk)),
        api_keys=ApiKey.objects.filter(created_by=member, revoked_at__isnull=True).count(),
    )
