"""Checking a password, with lock-out after repeated failures, and recording the outcome."""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from time import time

import structlog
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache

from accounts.errors import AccountLocked, InvalidCredentials
from accounts.events import AuditAction
from accounts.models import User
from accounts.services.audit import record_audit_event
from project.errors import DomainError

log = structlog.get_logger(__name__)


def _email_digest(email: str) -> str:
    """What a sign-in key holds of the email: a digest, so a typed address of any length or
    with spaces makes a valid cache key (and the cache never holds the address itself)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _failures_key(email: str) -> str:
    # The default cache prefixes every key with the schema: failures never cross workspaces.
    return f"sign-in-failures:{_email_digest(email)}"


def _lock_key(email: str) -> str:
    return f"sign-in-locked:{_email_digest(email)}"


def lock_minutes_left(email: str) -> int:
    locked_until = cache.get(_lock_key(email))
    if locked_until is None:
        return 0
    return max(1, int((locked_until - time() + 59) // 60))


def check_credentials(*, email: str, password: str, ip: str | None) -> User:
    """Return the active user with these credentials in the current schema.

    Raises AccountLocked while locked (even for the right password) and
    InvalidCredentials otherwise. Every outcome is audited, failures included, so this
    is deliberately not one transaction: a refusal must not roll back its own audit row.
    """
    return authenticate_with_lockout(
        email=email, password=password, ip=ip, refusal=InvalidCredentials()
    )


def authenticate_with_lockout(
    *,
    email: str,
    password: str,
    ip: str | None,
    refusal: DomainError,
    accept: Callable[[User], bool] = lambda user: True,
    audit_prefix: str = "",
) -> User:
    """The active user of the current schema with these credentials whom `accept` takes.

    CRM_LOCKOUT_FAILURES refusals in a row lock the email in this schema for
    CRM_LOCKOUT_SECONDS: AccountLocked then, even for the right password; `refusal`
    otherwise. Each outcome is audited as <audit_prefix>sign_in, ..._failed or
    ..._refused_locked (workspaces and the console use the same lock, with their own words).
    """
    minutes = lock_minutes_left(email)
    if minutes:
        record_audit_event(
            action=AuditAction(f"{audit_prefix}sign_in_refused_locked"), actor_email=email, ip=ip
        )
        _log_failure(email=email, ip=ip, reason="locked", audit_prefix=audit_prefix)
        raise AccountLocked(minutes)
    user = authenticate(username=email, password=password)
    if not isinstance(user, User) or not accept(user):
        _count_failure(email)
        record_audit_event(
            action=AuditAction(f"{audit_prefix}sign_in_failed"), actor_email=email, ip=ip
        )
        _log_failure(email=email, ip=ip, reason="invalid_credentials", audit_prefix=audit_prefix)
        minutes = lock_minutes_left(email)
        if minutes:
            raise AccountLocked(minutes)
        raise refusal
    cache.delete(_failures_key(email))
    record_audit_event(action=AuditAction(f"{audit_prefix}sign_in"), actor=user, ip=ip)
    return user


def _count_failure(email: str) -> None:
    window = settings.CRM_LOCKOUT_SECONDS
    key = _failures_key(email)
    if cache.add(key, 1, window):
        failures = 1
    else:
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            failures = 1
    if failures >= settings.CRM_LOCKOUT_FAILURES:
        cache.set(_lock_key(email), time() + window, window)
        cache.delete(key)


def _log_failure(*, email: str, ip: str | None, reason: str, audit_prefix: str) -> None:
    """One JSON line per failed sign-in, read by fail2ban's crm-sign-in jail.

    `client_ip` comes first, right after the event, and only as a parsed address (the one
    the rate limiter counts, from RATELIMIT_IP_META_KEY): a malformed header logs none, so
    nothing typed by the client can become a value the jail bans. The email is kept for the
    operator; the JSON renderer escapes its quotes, so it cannot fake a `client_ip` key.
    """
    try:
        address = str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        address = None
    log.warning(
        "sign_in_failed",
        **({"client_ip": address} if address else {}),
        email=email[:254],
        reason=reason,
        surface="console" if audit_prefix else "workspace",
    )
