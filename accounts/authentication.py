"""How /api/v1/ knows the caller: a bearer API key or access token, else the browser session.

A caller with neither (or with credentials of another workspace, which mean nothing here) is
401 not_authenticated; a signed-in session without its CSRF token is 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

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


class SessionAuth(NinjaSessionAuth):
    """The browser's signed-in session, CSRF-checked. ninja checks CSRF before it looks at
    the session, so a call with no session at all (or another workspace's, unknown here)
    got 403 "CSRF check failed" instead of 401; the check now runs only for a request that
    is signed in through its session, which is what the check protects."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if key is not None and request.user.is_authenticated else None


API_AUTH: list[Any] = [BearerAuth(), SessionAuth()]


def signed_in_user(request: HttpRequest) -> User:
    """The person behind a page request (the page decorator has let only them through)."""
    user = request.user
    assert isinstance(user, User)
    return user


def acting_user(request: HttpRequest) -> User:
    """The authenticated user of an API request (bearer or session)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
