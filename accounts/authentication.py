"""How /api/v1/ knows the caller: a bearer API key or access token, else the browser session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from accounts.models import User
from accounts.services.api_auth import identify_bearer
from project.ratelimit import enforce_rate_limit


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        identity = identify_bearer(token)
        if identity is None:
            return None
        request.user = identity.user
        request.bearer_credential = identity.credential  # type: ignore[attr-defined]
        enforce_rate_limit(
            request, group="api", key=_credential_key, rate=settings.CRM_API_RATE_KEY
        )
        return identity.user


def _credential_key(group: str, request: HttpRequest) -> str:
    return str(getattr(request, "bearer_credential", ""))


API_AUTH: list[Any] = [BearerAuth(), django_auth]


def acting_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (bearer or session)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
