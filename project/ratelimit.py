"""Rate limits on the cache (Redis), answering 429 with Retry-After in the error shape."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from project.errors import RateLimited

NO_ADDRESS = "no-address"


def client_network(group: str, request: HttpRequest) -> str:
    """What "ip" limits count by: the client's address (an IPv6 one as its /64, like
    django-ratelimit), from RATELIMIT_IP_META_KEY else REMOTE_ADDR. A missing or malformed
    address (a bare WSGI call, a forged proxy header) is one shared count, not a 500."""
    meta_key = settings.RATELIMIT_IP_META_KEY or "REMOTE_ADDR"
    offered = str(request.META.get(meta_key) or request.META.get("REMOTE_ADDR") or "")
    try:
        address = ipaddress.ip_address(offered.split(",")[0].strip())
    except ValueError:
        return NO_ADDRESS
    prefix = 64 if address.version == 6 else 32
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def enforce_rate_limit(
    request: HttpRequest, *, group: str, key: str | Callable[[str, HttpRequest], str], rate: str
) -> None:
    """Count this request against `group` keyed by `key` (e.g. "ip"); raise RateLimited when over.

    Cache keys are built by the default cache's tenant-aware key function, so a limit in
    one workspace never counts another's requests.
    """
    usage = get_usage(
        request,
        group=group,
        key=client_network if key == "ip" else key,
        rate=rate,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return
    raise RateLimited(retry_after=max(1, int(usage["time_left"])))
