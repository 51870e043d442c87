"""Request overhead of host resolution: 1 workspace vs 1,000 workspaces, in one run.

Drives GET /api/v1/workspace on <slug>.localhost in-process through Django's WSGI handler
(the full middleware stack, tenants.middleware.WorkspaceMiddleware included) and prints one
JSON document to stdout. Run from the repo root:

    .venv/bin/python bench/host_resolution.py [--workspaces 1000] [--requests 5000] [--rounds 5]

Uses its own database (crm_bench, dropped and recreated at start, dropped at the end) and
Redis database 5, unless DATABASE_URL / REDIS_URL say otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _name, _value in {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "DJANGO_ENV": "dev",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "project.settings",
}.items():
    os.environ.setdefault(_name, _value)
_BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(_BENCH.parent), str(_BENCH)]  # the repo (project code), bench_support

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from contextlib import contextmanager, nullcontext  # noqa: E402
from typing import Any  # noqa: E402

from bench_support import (  # noqa: E402
    drop_database,
    emit,
    machine_info,
    recreate_database,
    setup_django,
    stdout_to_stderr,
)

PATH = "/api/v1/workspace"
OURS = "tenants.middleware.WorkspaceMiddleware"
STOCK = "django_tenants.middleware.main.TenantMainMiddleware"
SOLO_SLUG = "bench-solo"
LATE_SLUG = "bench-late"
GOAL_RATIO_MIN = 0.9
SEED = 20240601
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"

Environ = dict[str, Any]
Handler = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000, help="size of the large set")
    parser.add_argument("--requests", type=int, default=5000, help="timed requests per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per case (median taken)")
    parser.add_argument("--sample", type=int, default=200, help="requests for query counting")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock-middleware rows")
    parser.add_argument(
        "--keep-database", action="store_true", help="leave crm_bench in place at the end"
    )
    return parser.parse_args()


# --- Workspaces ----------------------------------------------------------------------------


def host_of(slug: str) -> str:
    from django.conf import settings

    return f"{slug}.{settings.CRM_BASE_DOMAIN}"


def forget_bench_hosts(slugs: list[str]) -> None:
    """Drop this benchmark's host-cache entries (stale ones from an earlier run, or ours)."""
    from django.conf import settings

    from tenants.selectors.hosts import forget_hosts

    hosts = [host_of(slug) for slug in slugs] + [settings.CRM_BASE_DOMAIN]
    for start in range(0, len(hosts), 500):
        forget_hosts(hosts[start : start + 500])


def create_workspaces(slugs: list[str]) -> list[float]:
    """Real workspaces through create_workspace (cloned schema, owner, domain); their times.

    The owner's password is hashed with a fast hasher here: hashing is not what this
    benchmark measures, and Argon2 adds ~0.2 s per workspace.
    """
    from django.test import override_settings

    from tenants.services.provisioning import create_workspace

    durations = []
    with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        for slug in slugs:
            started = time.perf_counter()
            create_workspace(
                name=f"Bench {slug}",
                slug=slug,
                owner_email=f"owner@{slug}.example",
                owner_password="a long bench passphrase",
            )
            durations.append(time.perf_counter() - started)
    return durations


def template_script() -> str | None:
    """The template schema as SQL (pg_dump: structure and its reference rows), or None.

    Replaying it makes a schema equal to what clone_template makes, in roughly constant
    time; clone_template itself gets slower with every schema in the database.
    """
    from django.db import connection

    from tenants.services.template import template_schema

    params = connection.settings_dict
    command = [
        "pg_dump",
        f"--schema={template_schema()}",
        "--no-owner",
        "--no-privileges",
        "--inserts",
        f"--host={params['HOST'] or '127.0.0.1'}",
        f"--port={params['PORT'] or 5432}",
        f"--username={params['USER'] or 'postgres'}",
        str(params["NAME"]),
    ]
    env = dict(os.environ, PGPASSWORD=str(params.get("PASSWORD") or ""))
    try:
        dumped = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"pg_dump unavailable ({error!r}); falling back to clone_template", file=sys.stderr)
        return None
    kept = [
        line
        for line in dumped.stdout.splitlines()
        # Comments, psql meta-commands and session settings (search_path '' among them)
        # must not run on the benchmark's own connection.
        if not line.startswith(("--", "\\", "SET ", "SELECT pg_catalog.set_config("))
    ]
    return "\n".join(kept)


def schema_shape(schema: str) -> dict[str, int]:
    """Relations by kind and reference rows: enough to see that two schemas are alike."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relkind, count(*) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s GROUP BY 1 ORDER BY 1",
            [schema],
        )
        shape = {f"relkind_{kind}": count for kind, count in cursor.fetchall()}
        for table in ("django_migrations", "django_content_type", "auth_permission"):
            cursor.execute(f'SELECT count(*) FROM "{schema}".{table}')
            shape[f"rows_{table}"] = cursor.fetchone()[0]
    return shape


def create_bulk_workspaces(slugs: list[str]) -> dict[str, Any]:
    """The large set: a real schema each (template replayed, or cloned) plus its rows."""
    from django.db import connection, transaction

    from tenants.models import Domain, Workspace
    from tenants.services.provisioning import schema_name_for
    from tenants.services.template import clone_template, template_schema

    script = template_script()
    pattern = re.compile(rf"\b{re.escape(template_schema())}\b")
    started = time.perf_counter()
    for slug in slugs:
        schema = schema_name_for(slug)
        with transaction.atomic():
            if script is None:
                clone_template(schema)
            else:
                with connection.cursor() as cursor:
                    cursor.execute(pattern.sub(schema, script))
            workspace = Workspace.objects.create(
                name=f"Bench {slug}", slug=slug, schema_name=schema
            )
            Domain.objects.create(domain=workspace.primary_host, tenant=workspace, is_primary=True)
    elapsed = time.perf_counter() - started
    template_like = schema_shape(template_schema())
    return {
        "count": len(slugs),
        "how": (
            "schema made by replaying pg_dump of the template (structure + reference rows, "
            "schema name substituted), then Workspace and Domain rows; no owner account"
            if script is not None
            else "schema made by tenants.services.template.clone_template, then Workspace "
            "and Domain rows; no owner account"
        ),
        "seconds": round(elapsed, 1),
        "schema_equals_template": schema_shape(schema_name_for(slugs[-1])) == template_like,
        "template_shape": template_like,
    }


# --- Requests ------------------------------------------------------------------------------


def base_environ(host: str) -> Environ:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PATH,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Status:
    def __init__(self) -> None:
        self.bad = 0
        self.last = ""

    def start_response(self, status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        self.last = status
        if not status.startswith("200"):
            self.bad += 1


def one_request(handler: Handler, environ: Environ, status: Status) -> bytes:
    request = dict(environ)
    request["wsgi.input"] = io.BytesIO(b"")
    response = handler(request, status.start_response)
    body = b"".join(response)
    # What a WSGI server does after sending the body: fires request_finished.
    response.close()  # type: ignore[attr-defined]
    return body


def timed_round(handler: Handler, environs: list[Environ]) -> tuple[float, int]:
    status = Status()
    started = time.perf_counter()
    for environ in environs:
        one_request(handler, environ, status)
    elapsed = time.perf_counter() - started
    return len(environs) / elapsed, status.bad


def warm(handler: Handler, environs: list[Environ]) -> int:
    status = Status()
    for environ in environs:
        one_request(handler, environ, status)
    return status.bad


@contextmanager
def counting_host_cache() -> Iterator[dict[str, int]]:
    """Count gets and sets on the hosts cache (an instance-level wrap, removed afterwards)."""
    from django.core.cache import caches

    cache = caches["hosts"]
    counts = {"get": 0, "set": 0}
    original_get, original_set = cache.get, cache.set

    def get(*args: Any, **kwargs: Any) -> Any:
        counts["get"] += 1
        return original_get(*args, **kwargs)

    def set_(*args: Any, **kwargs: Any) -> Any:
        counts["set"] += 1
        return original_set(*args, **kwargs)

    cache.get, cache.set = get, set_  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        del cache.get, cache.set


def count_per_request(handler: Handler, environs: list[Environ]) -> dict[str, Any]:
    """Queries and host-cache calls per warm request, over a sample; also checks the bodies."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    status = Status()
    wrong = 0
    with counting_host_cache() as cache_calls, CaptureQueriesContext(connection) as queries:
        for environ in environs:
            body = one_request(handler, environ, status)
            expected = environ["HTTP_HOST"].split(".", 1)[0]
            if json.loads(body).get("slug") != expected:
                wrong += 1
    statements = sorted({query["sql"][:120] for query in queries.captured_queries})
    return {
        "sample_requests": len(environs),
        "queries_per_request": round(len(queries.captured_queries) / len(environs), 3),
        "host_cache_gets_per_request": round(cache_calls["get"] / len(environs), 3),
        "host_cache_sets_per_request": round(cache_calls["set"] / len(environs), 3),
        "distinct_statements": statements,
        "non_200": status.bad,
        "wrong_workspace_in_body": wrong,
    }


def build_handler(middleware: str) -> tuple[Handler, Callable[[], Any]]:
    """A WSGI handler whose stack uses `middleware` for host resolution, and its context."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    if middleware == OURS:
        return WSGIHandler(), nullcontext
    stack = [STOCK if name == OURS else name for name in settings.MIDDLEWARE]
    if STOCK not in stack:
        raise SystemExit(f"{OURS} is not in MIDDLEWARE; cannot swap in the stock one.")

    def context() -> Any:
        return override_settings(MIDDLEWARE=stack)

    with context():
        handler = WSGIHandler()
    return handler, context


def measure(args: argparse.Namespace, slugs: list[str]) -> dict[str, Any]:
    rng = random.Random(SEED)
    solo = base_environ(host_of(SOLO_SLUG))
    many_hosts = [base_environ(host_of(slug)) for slug in slugs]
    traffic = {
        "1": [solo] * args.requests,
        str(len(slugs)): rng.choices(many_hosts, k=args.requests),
    }
    # Warm-up before every round: the one host, or every one of the many (shuffled), so
    # each host-cache entry is fresh whatever the round length and cache lifetime.
    warmups = {"1": [solo] * 200, str(len(slugs)): rng.sample(many_hosts, k=len(many_hosts))}
    samples = {
        "1": [solo] * args.sample,
        str(len(slugs)): rng.choices(many_hosts, k=args.sample),
    }

    middlewares = [OURS] if args.no_stock else [OURS, STOCK]
    handlers = {name: build_handler(name) for name in middlewares}
    cases = list(traffic)
    rps: dict[tuple[str, str], list[float]] = {(m, c): [] for m in middlewares for c in cases}
    bad = 0
    for round_number in range(args.rounds):
        order = cases if round_number % 2 == 0 else list(reversed(cases))
        for name in middlewares:
            handler, context = handlers[name]
            with context():
                for case in order:
                    bad += warm(handler, warmups[case])
                    value, failed = timed_round(handler, traffic[case])
                    bad += failed
                    rps[(name, case)].append(value)

    counts: dict[tuple[str, str], dict[str, Any]] = {}
    for name in middlewares:
        handler, context = handlers[name]
        with context():
            for case in cases:
                warm(handler, warmups[case])
                counts[(name, case)] = count_per_request(handler, samples[case])

    def row(name: str, case: str) -> dict[str, Any]:
        rounds = rps[(name, case)]
        per_request_us = 1_000_000 / statistics.median(rounds)
        return {
            "workspaces_hit": int(case),
            "rps_median": round(statistics.median(rounds), 1),
            "rps_rounds": [round(value, 1) for value in rounds],
            "us_per_request_median": round(per_request_us, 1),
            **counts[(name, case)],
        }

    large = cases[1]

    def paired(name: str) -> float:
        # Each round's large-set rps over the same round's one-host rps (run back to back),
        # so that load from other processes drifting between rounds cancels out.
        return statistics.median(
            many / one for one, many in zip(rps[(name, "1")], rps[(name, large)], strict=True)
        )

    ours = {"1_workspace": row(OURS, "1"), f"{large}_workspaces": row(OURS, large)}
    ratio = ours[f"{large}_workspaces"]["rps_median"] / ours["1_workspace"]["rps_median"]
    result: dict[str, Any] = {
        "workspace_middleware": {"middleware": OURS, **ours},
        "ratio": round(ratio, 3),
        "ratio_paired_median": round(paired(OURS), 3),
        "ratio_note": "ratio = rps_median of the large set / rps_median of one host (the goal's "
        "figure); ratio_paired_median = median over rounds of the same quotient per round",
        "goal": f"rps with {large} workspaces within 10% of rps with 1 (ratio >= 0.9)",
        "goal_ratio_min": GOAL_RATIO_MIN,
        "goal_met": ratio >= GOAL_RATIO_MIN,
        "non_200_responses": bad,
    }
    if STOCK in handlers:
        stock = {"1_workspace": row(STOCK, "1"), f"{large}_workspaces": row(STOCK, large)}
        stock_ratio = (
            stock[f"{large}_workspaces"]["rps_median"] / stock["1_workspace"]["rps_median"]
        )
        result["baseline_stock_django_tenants"] = {
            "label": "BASELINE, not what we ship: django-tenants' stock TenantMainMiddleware "
            "(one Domain+Workspace query per request, no cache) swapped in for ours",
            "middleware": STOCK,
            **stock,
            "ratio": round(stock_ratio, 3),
            "ratio_paired_median": round(paired(STOCK), 3),
        }
        result["speedup_vs_stock"] = {
            case_key: round(ours[case_key]["rps_median"] / stock[case_key]["rps_median"], 3)
            for case_key in ours
        }
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    recreate_database()
    setup_django()

    from django.conf import settings

    from tenants.services.template import refresh_template

    slugs = [f"bench-h-{index:04d}" for index in range(args.workspaces)]
    forget_bench_hosts([SOLO_SLUG, LATE_SLUG, *slugs])
    refresh_template()
    solo_ms = create_workspaces([SOLO_SLUG])[0] * 1000
    bulk = create_bulk_workspaces(slugs)
    # The same service call once more, now that the large set exists: clone_template's
    # catalog queries grow with the number of schemas in the database.
    late_ms = create_workspaces([LATE_SLUG])[0] * 1000
    creation = {
        "one_workspace": f"{SOLO_SLUG}: tenants.services.provisioning.create_workspace "
        "(clone path, owner hashed with MD5PasswordHasher)",
        "large_set": bulk,
        "create_workspace_ms_when_empty": round(solo_ms, 1),
        f"create_workspace_ms_with_{args.workspaces}_more_schemas": round(late_ms, 1),
        "note": "the second figure is one more create_workspace call made after the large "
        f"set ({LATE_SLUG}); it is not hit by the requests",
    }

    measured = measure(args, slugs)
    document: dict[str, Any] = {
        "benchmark": "host_resolution",
        "method": {
            "endpoint": f"GET {PATH} (auth=None; answers request.tenant, no query of its own)",
            "driver": "in-process django.core.handlers.wsgi.WSGIHandler with the full "
            "MIDDLEWARE stack; a WSGI environ per request, body consumed and closed (so "
            "request_started/request_finished fire as under a real server); one thread",
            "cases": "'1_workspace': every request to "
            f"{host_of(SOLO_SLUG)}; '{args.workspaces}_workspaces': requests to hosts chosen "
            f"at random (seed {SEED}) among {args.workspaces} other workspaces. All "
            f"{args.workspaces + 1} workspaces exist, each with a real schema, in both cases.",
            "rounds": f"{args.rounds} rounds; in each, per middleware, the two cases back to "
            "back (order flipped every other round); a warm-up before every timed round "
            "(200 requests to the one host, or one request to each of the many hosts)",
            "requests_per_round": args.requests,
            "figure": "rps_median = median over rounds of requests / wall seconds",
            "queries": f"django.test.utils.CaptureQueriesContext over {args.sample} warm "
            "requests per case; host-cache gets/sets counted on caches['hosts'] over the same "
            "requests (bodies checked to name the requested workspace)",
            "host_cache": f"{str(settings.CACHES['hosts']['BACKEND']).rsplit('.', 1)[-1]} at "
            f"{os.environ.get('REDIS_URL', '')}, entries live {settings.CRM_HOST_CACHE_SECONDS}s",
            "log_level": settings.LOG_LEVEL,
            "database": "fresh database, dropped at the end",
        },
        "workspaces_created": creation,
        **measured,
        "machine": machine_info(),
    }
    forget_bench_hosts([SOLO_SLUG, LATE_SLUG, *slugs])
    if not args.keep_database:
        drop_database()
    document["duration_s"] = round(time.perf_counter() - began, 1)
    return document


def main() -> None:
    args = parse_args()
    with stdout_to_stderr() as stdout:
        document = run(args)
    emit(document, stdout)


if __name__ == "__main__":
    main()
