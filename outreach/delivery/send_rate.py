"""The per-workspace send rate, shared by every worker process through Redis.

A generic cell rate: each reservation of n messages moves the workspace's "next free
moment" n / rate seconds on, and tells the caller how long to wait before sending. Two
senders of one campaign, or two campaigns of one workspace, share the same budget.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import redis
from django.conf import settings

RESERVE = """
local rate = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if free_at < now then free_at = now end
local next_free = free_at + count / rate
redis.call('SET', KEYS[1], tostring(next_free), 'EX', math.ceil(next_free - now) + 60)
return tostring(free_at - now)
"""

_local = threading.local()
_process_clock: dict[str, float] = {}
_process_lock = threading.Lock()


def _script() -> Any:
    cached = getattr(_local, "script", None)
    if cached is None or cached[0] != settings.REDIS_URL:
        client = redis.Redis.from_url(str(settings.REDIS_URL), socket_timeout=2)
        cached = (settings.REDIS_URL, client.register_script(RESERVE))
        _local.script = cached
    return cached[1]


def reserve(*, workspace_key: str, count: int, rate: float) -> float:
    """Book `count` messages at `rate` per second; returns the seconds to wait first."""
    if count <= 0 or rate <= 0:
        return 0.0
    if settings.REDIS_URL:
        wait = float(_script()(keys=[f"crm:send-rate:{workspace_key}"], args=[rate, count]))
        return max(0.0, wait)
    # No Redis (development only): one process, so a process-wide clock is the whole truth.
    with _process_lock:
        now = time.monotonic()
        free_at = max(_process_clock.get(workspace_key, now), now)
        _process_clock[workspace_key] = free_at + count / rate
        return free_at - now
