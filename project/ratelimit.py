"""Rate limits on the cache (Redis), answering 429 with Retry-After in the error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import get_usage

from project.errors import RateLimited


def enforce_rate_limit(
    request: HttpRequest, *, group: str, key: str | Callable[[str, HttpRequest], str], rate: str
) -> None:
    """Count this request against `group` keyed by `key` (e.g. "ip"); raise RateLimited when over.

    Cache keys are built by the default cache's tenant-aware key function, so a limit in
    one workspace never counts another's requests.
    """
    usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return
    raise RateLimited(retry_after=max(1, int(usage["time_left"])))
