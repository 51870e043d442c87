"""Prometheus metrics (prometheus-client): what the app counts, and how a scrape is put together.

Counters and histograms live here; the code paths that move them (the request middleware,
the Celery signals, the email gateway, the health checks) call the small functions below.
Figures that are read at scrape time (queue depth here; workspaces by status in tenants)
are collectors registered with `register_scrape_collector`, so `project` imports no app.

Several processes (gunicorn workers, Celery's pool) share one PROMETHEUS_MULTIPROC_DIR on a
host; a scrape of any web worker then sums them all (prometheus-client multiprocess mode).
Gunicorn's config does the same two steps in its `on_starting` and `child_exit` hooks
(deploy/gunicorn.conf.py, which must not import the app); Celery's worker calls
`prepare_multiprocess_dir` and `process_exited` from its signals (project/celery.py).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import redis
import structlog
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = structlog.get_logger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A process started before any server made the directory (a management command, the beat)
# would fail on its first count: every process makes sure it exists.
if os.environ.get(MULTIPROC_ENV):
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "crm_http_requests",
    "HTTP requests answered, by route pattern (never the path or the workspace).",
    ["site", "route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "crm_http_request_duration_seconds",
    "Time from the first middleware to the answer, by route pattern.",
    ["site", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DATABASE_ERRORS = Counter(
    "crm_database_errors", "Database errors, by where they surfaced.", ["source"]
)
REDIS_ERRORS = Counter("crm_redis_errors", "Redis errors, by where they surfaced.", ["source"])
CELERY_TASKS = Counter(
    "crm_celery_tasks", "Celery task outcomes, by task name.", ["task", "outcome"]
)
EMAILS_SENT = Counter("crm_emails_sent", "Emails the provider accepted, by stream.", ["stream"])
EMAILS_FAILED = Counter(
    "crm_emails_failed",
    "Emails not accepted, by stream and reason (refused: the provider refused that "
    "message; transient / permanent: the whole call failed).",
    ["stream", "reason"],
)


# --- What moves the counters -------------------------------------------------------------


def count_request(*, site: str, route: str, method: str, status: int, seconds: float) -> None:
    labels = {
        "site": site,
        "route": route,
        "method": method if method in METHODS else "OTHER",
        "status": f"{status // 100}xx",
    }
    HTTP_REQUESTS.labels(**labels).inc()
    HTTP_LATENCY.labels(**labels).observe(seconds)


def count_dependency_error(error: BaseException, *, source: str) -> None:
    """Counts a database or Redis error (anything else is not a dependency's)."""
    if isinstance(error, DatabaseError):
        DATABASE_ERRORS.labels(source=source).inc()
    elif isinstance(error, redis.RedisError):
        REDIS_ERRORS.labels(source=source).inc()


def count_task(*, task: str, outcome: str) -> None:
    CELERY_TASKS.labels(task=task, outcome=outcome).inc()


def count_emails_sent(*, stream: str, count: int = 1) -> None:
    if count:
        EMAILS_SENT.labels(stream=stream).inc(count)


def count_emails_failed(*, stream: str, reason: str, count: int = 1) -> None:
    if count:
        EMAILS_FAILED.labels(stream=stream, reason=reason).inc(count)


def _count_request_exception(sender: Any, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if error is not None:
        count_dependency_error(error, source="request")


# Django sends this for every exception that escapes a view or a middleware.
got_request_exception.connect(_count_request_exception, dispatch_uid="crm-metrics-errors")


# --- Route labels ------------------------------------------------------------------------

EARLY_ANSWERS = {"/healthz": "healthz", "/metrics": "metrics"}


def route_label(request: HttpRequest) -> str:
    """The URL pattern that answered ("api/v1/leads/<int:lead_id>"), or a fixed word for
    answers given before URL resolution: never the path, whose ids and slugs are unbounded."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.route or match.view_name or "unnamed")
    if request.path in EARLY_ANSWERS:
        return EARLY_ANSWERS[request.path]
    if request.path.startswith(str(settings.STATIC_URL)):
        return "static"
    return "unmatched"


def site_label(request: HttpRequest) -> str:
    if getattr(request, "urlconf", None) == settings.PUBLIC_SCHEMA_URLCONF:
        return "apex"
    return "workspace" if hasattr(request, "tenant") else "none"


# --- Scrape-time collectors --------------------------------------------------------------


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_scrape_collectors: dict[str, Collector] = {}


def register_scrape_collector(name: str, collector: Collector) -> None:
    """A collector run at every scrape (an app registers its own from AppConfig.ready)."""
    _scrape_collectors[name] = collector


class _Guarded:
    """A scrape-time collector whose dependency is down yields nothing and is counted,
    so the rest of the scrape still answers."""

    def __init__(self, name: str, collector: Collector) -> None:
        self.name = name
        self.collector = collector

    def collect(self) -> Iterator[Metric]:
        try:
            metrics = list(self.collector.collect())
        except (DatabaseError, redis.RedisError) as error:
            count_dependency_error(error, source="metrics")
            log.warning("metrics_collector_failed", collector=self.name, error=str(error)[:200])
            return iter(())
        return iter(metrics)


class _Read:
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return iter(self.metrics)


class _ThisProcess:
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


@cache
def _broker(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


# kombu's Redis transport keeps a queue's messages of priority p in the list
# "<queue>\x06\x16<p>" (and priority 0 in "<queue>"): the depth is their sum.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def our_queues() -> list[str]:
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    routed = [str(route["queue"]) for route in routes.values() if "queue" in route]
    return sorted({str(settings.CELERY_TASK_DEFAULT_QUEUE), *routed})


class QueueDepthCollector:
    def collect(self) -> Iterator[Metric]:
        if not settings.REDIS_URL:
            return
        broker = _broker(str(settings.REDIS_URL))
        gauge = GaugeMetricFamily(
            "crm_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue in our_queues():
            names = [queue] + [f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS[1:]]
            with broker.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.llen(name)
                gauge.add_metric([queue], float(sum(pipe.execute())))
        yield gauge


register_scrape_collector("queue_depth", QueueDepthCollector())


def render_scrape(accept: str = "") -> tuple[bytes, str]:
    """The text a scrape answers, and its content type: OpenMetrics when the scraper asks
    for it (Accept), else Prometheus' text format."""
    # Read first: a collector whose dependency is down counts the error, and this scrape
    # should already show that count.
    read_now = _Read(
        [metric for name, c in _scrape_collectors.items() for metric in _Guarded(name, c).collect()]
    )
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    registry.register(read_now)
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type


def scrape_response(request: HttpRequest) -> HttpResponse:
    body, content_type = render_scrape(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


# --- Multiprocess mode: gunicorn hooks and Celery's -------------------------------------

_PID_IN_NAME = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_multiprocess_dir() -> None:
    """At a server's start: make the directory, and remove what processes that are gone left
    there (a previous run's), keeping the files of live ones (the Celery worker beside
    gunicorn shares the directory)."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for db_file in path.glob("*.db"):
        found = _PID_IN_NAME.search(db_file.name)
        if found is None or not _alive(int(found.group(1))):
            db_file.unlink(missing_ok=True)


def process_exited(pid: int) -> None:
    """A worker process ended: its live gauges leave the sum (counters stay)."""
    if os.environ.get(MULTIPROC_ENV):
        mark_process_dead(pid)


class RequestMetricsMiddleware:
    """Outermost: times every answer, including those given before URL resolution."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        count_request(
            site=site_label(request),
            route=route_label(request),
            method=str(request.method),
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
