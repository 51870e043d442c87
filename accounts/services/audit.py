"""The audit log: written in the same transaction as the change it records."""

from __future__ import annotations

import ipaddress
from typing import Any

import structlog
from django.http import HttpRequest

from accounts.models import AuditEvent, User

log = structlog.get_logger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the rate limiter reads it (RATELIMIT_IP_META_KEY, else
    REMOTE_ADDR), or None when there is none or it is not an address: a forged proxy header
    must neither reach the audit table's inet column (a 500) nor a log line fail2ban reads."""
    if request is None:
        return None
    from django.conf import settings

    key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    value = str(request.META.get(key, "") or request.META.get("REMOTE_ADDR", ""))
    try:
        return str(ipaddress.ip_address(value.split(",")[0].strip()))
    except ValueError:
        return None


def record_audit_event(
    *,
    action: str,
    actor: User | None = None,
    actor_email: str = "",
    target: Any = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit row in the current schema (a workspace's, or public for the console)."""
    event = AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        # Whatever a failed sign-in typed is kept, cut to the column's size.
        actor_email=(actor_email or (actor.email if actor is not None else ""))[:254],
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "pk", "") or "") if target is not None else "",
        ip=ip,
        details=details or {},
    )
    log.info("audit_event", action=action, target_type=event.target_type, target_id=event.target_id)
    return event
