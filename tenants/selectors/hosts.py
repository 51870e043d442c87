"""Host name -> workspace, cached so that a warm request costs no database query.

Entries live in the "hosts" cache (Redis in every real deployment). They are deleted
when a domain or a workspace changes (tenants.signals), and unknown hosts are cached
briefly too, so a flood of made-up subdomains does not turn into a flood of queries.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

from tenants.models import Domain, Workspace

_MISSING = "missing"
UNKNOWN_HOST_CACHE_SECONDS = 30


def normalise_host(raw_host: str) -> str:
    """Lower-case host without port, trailing dot or a leading www."""
    host = raw_host.rsplit(":", 1)[0] if not raw_host.startswith("[") else raw_host
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def host_cache_key(host: str) -> str:
    return f"host:{host}"


def _load_workspace(host: str) -> Workspace | None:
    if host == settings.CRM_BASE_DOMAIN:
        # The apex is always the public schema, whatever Domain rows say.
        return Workspace.objects.filter(schema_name="public").first()
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    return domain.tenant if domain is not None else None


def workspace_for_host(host: str) -> Workspace | None:
    cache = caches["hosts"]
    key = host_cache_key(host)
    cached = cache.get(key)
    if isinstance(cached, Workspace):
        return cached
    if cached == _MISSING:
        return None
    workspace = _load_workspace(host)
    if workspace is None:
        cache.set(key, _MISSING, UNKNOWN_HOST_CACHE_SECONDS)
    else:
        cache.set(key, workspace, settings.CRM_HOST_CACHE_SECONDS)
    return workspace


def forget_hosts(hosts: list[str]) -> None:
    caches["hosts"].delete_many([host_cache_key(normalise_host(host)) for host in hosts])
