"""Bearer credentials for /api/v1/: workspace API keys and token pairs from a password.

Every secret is looked up by its hash in the current schema only, which is the schema of
the domain that received the request: a key or token of workspace A is unknown at B.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.errors import NotAuthenticated
from accounts.events import AuditAction
from accounts.models import AccessToken, ApiKey, User
from accounts.permissions import Action, require
from accounts.services.audit import record_audit_event
from accounts.services.sign_in import check_credentials
from accounts.services.tokens import hash_secret, new_secret
from project.errors import InvalidInput, NotFound, field_error

ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=30)
API_KEY_PREFIX = "crm_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class BearerIdentity:
    user: User
    credential: str  # "api_key:<id>" or "token:<id>", for rate limits and audit


def _issue_pair(user: User) -> TokenPair:
    now = timezone.now()
    access, refresh = "cat_" + new_secret(), "crt_" + new_secret()
    AccessToken.objects.bulk_create(
        [
            AccessToken(
                kind=AccessToken.Kind.ACCESS,
                token_hash=hash_secret(access),
                user=user,
                expires_at=now + ACCESS_LIFETIME,
            ),
            AccessToken(
                kind=AccessToken.Kind.REFRESH,
                token_hash=hash_secret(refresh),
                user=user,
                expires_at=now + REFRESH_LIFETIME,
            ),
        ]
    )
    return TokenPair(access, refresh, int(ACCESS_LIFETIME.total_seconds()))


def issue_token_pair(*, email: str, password: str, ip: str | None) -> TokenPair:
    """Exchange email and password for an access and a refresh token.

    Raises InvalidCredentials or AccountLocked (see sign_in.check_credentials).
    """
    user = check_credentials(email=email, password=password, ip=ip)
    with transaction.atomic():
        return _issue_pair(user)


@transaction.atomic
def refresh_token_pair(*, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    now = timezone.now()
    token = (
        AccessToken.objects.select_for_update()
        .select_related("user")
        .filter(
            kind=AccessToken.Kind.REFRESH,
            token_hash=hash_secret(refresh_token),
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .first()
    )
    if token is None or not token.user.is_active:
        raise NotAuthenticated("This refresh token is unknown, used or expired; sign in again.")
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    return _issue_pair(token.user)


def identify_bearer(raw: str) -> BearerIdentity | None:
    """The active user behind an API key or access token in the current schema, else None."""
    now = timezone.now()
    if raw.startswith(API_KEY_PREFIX):
        prefix = raw[: len(API_KEY_PREFIX) + 8]
        key = (
            ApiKey.objects.select_related("created_by")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        if key is None or not hmac.compare_digest(key.key_hash, hash_secret(raw)):
            return None
        if key.created_by is None or not key.created_by.is_active:
            return None
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return BearerIdentity(key.created_by, f"api_key:{key.pk}")
    token = (
        AccessToken.objects.select_related("user")
        .filter(
            kind=AccessToken.Kind.ACCESS,
            token_hash=hash_secret(raw),
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return BearerIdentity(token.user, f"token:{token.pk}")


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str  # shown once, never stored


@transaction.atomic
def create_api_key(*, actor: User, name: str, ip: str | None = None) -> CreatedApiKey:
    """Create a named key acting as `actor` (admins and the owner). The secret is returned once."""
    require(actor, Action.MANAGE_API_KEYS)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(
            details=[
                field_error("name", "invalid_name", "Give the key a name of 1 to 100 characters.")
            ]
        )
    body = new_secret()
    prefix = API_KEY_PREFIX + body[:8]
    secret = f"{prefix}{body[8:]}"
    api_key = ApiKey.objects.create(
        name=name, prefix=prefix, key_hash=hash_secret(secret), created_by=actor
    )
    record_audit_event(
        action=AuditAction.API_KEY_CREATED,
        actor=actor,
        target=api_key,
        ip=ip,
        details={"name": name, "prefix": prefix},
    )
    return CreatedApiKey(api_key, secret)


@transaction.atomic
def revoke_api_key(*, actor: User, api_key_id: int, ip: str | None = None) -> ApiKey:
    """Revoke a key at once; further requests with it get 401."""
    require(actor, Action.MANAGE_API_KEYS)
    api_key = ApiKey.objects.filter(pk=api_key_id).first()
    if api_key is None:
        raise NotFound("No API key with this id.")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record_audit_event(
            action=AuditAction.API_KEY_REVOKED,
            actor=actor,
            target=api_key,
            ip=ip,
            details={"name": api_key.name, "prefix": api_key.prefix},
        )
    return api_key
