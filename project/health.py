"""GET /healthz on every host, answered before tenant resolution so it works when the
database is down: 200 when every configured dependency answers, 503 naming the one that
does not. Timeouts are short (database connect_timeout, Redis 1 s), so it never hangs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import redis
import structlog
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from project.metrics import count_dependency_error

log = structlog.get_logger(__name__)
HEALTH_PATH = "/healthz"


def database_state() -> str:
    connection = connections["default"]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        count_dependency_error(error, source="healthz")
        log.warning("health_database_unavailable", error=str(error).strip()[:200])
        connection.close_if_unusable_or_obsolete()
        return "unavailable"
    return "ok"


@cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_state() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    try:
        _redis_client(settings.REDIS_URL).ping()
    except redis.RedisError as error:
        count_dependency_error(error, source="healthz")
        log.warning("health_redis_unavailable", error=str(error)[:200])
        return "unavailable"
    return "ok"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != HEALTH_PATH:
            return self.get_response(request)
        states = {"database": database_state(), "redis": redis_state()}
        failing = [name for name, state in states.items() if state == "unavailable"]
        body: dict[str, object] = {"status": "error" if failing else "ok", **states}
        body["release"] = settings.CRM_RELEASE  # which release answered (deploy/release)
        if failing:
            body["failing"] = failing
        return JsonResponse(body, status=503 if failing else 200)
