"""Workspace creation: cloning the template schema vs running every migration.

Prints one JSON document to stdout. Run from the repo root:

    .venv/bin/python bench/provisioning.py [--runs 20] [--warmup 1]

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
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench_support import (  # noqa: E402
    drop_database,
    emit,
    machine_info,
    recreate_database,
    setup_django,
    stdout_to_stderr,
    summary_ms,
)

GOAL_RATIO_MIN = 5
GOAL_CLONE_P50_MS_MAX = 500
OWNER_PASSWORD = "a long bench passphrase"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed creations per method")
    parser.add_argument("--warmup", type=int, default=1, help="untimed creations per method")
    parser.add_argument(
        "--keep-database", action="store_true", help="leave crm_bench in place at the end"
    )
    return parser.parse_args()


def migration_counts() -> dict[str, int]:
    from django.conf import settings
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from tenants.services.template import template_schema

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
            [template_schema()],
        )
        tables = cursor.fetchone()[0]
    return {
        "in_graph": len(graph.nodes),
        "of_tenant_apps": sum(1 for app, _ in graph.nodes if app in labels),
        "template_tables": tables,
    }


def create_one(method: str, index: int, build_schema: Callable[[str], None]) -> float:
    from tenants.services.provisioning import create_workspace

    slug = f"bench-{method}-{index:03d}"
    started = time.perf_counter()
    create_workspace(
        name=f"Bench {method} {index}",
        slug=slug,
        owner_email=f"owner-{index}@bench.example",
        owner_password=OWNER_PASSWORD,
        build_schema=build_schema,
    )
    return time.perf_counter() - started


class _Discard(Exception):
    """Raised to roll a measured schema step back, so that it leaves no schema behind."""


def build_only(method: str, index: int, build_schema: Callable[[str], None]) -> float:
    """The schema step alone, in a transaction as create_workspace runs it, then rolled back.

    Rolled back so that these measurements add no schemas: clone_template's own catalog
    queries get slower with every schema in the database.
    """
    from django.db import transaction

    from tenants.schemas import use_public_schema

    elapsed = 0.0
    try:
        with transaction.atomic():
            started = time.perf_counter()
            build_schema(f"bench_build_{method}_{index:03d}")
            elapsed = time.perf_counter() - started
            raise _Discard
    except _Discard:
        pass
    use_public_schema()
    return elapsed


def workspace_schemas() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname <> 'public' "
            "AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
        )
        return int(cursor.fetchone()[0])


def clone_probe(build_schema: Callable[[str], None], label: str) -> dict[str, Any]:
    """clone_template alone, 3 times rolled back: its p50 with the schemas present now."""
    timings = [build_only(f"probe_{label}", index, build_schema) for index in range(3)]
    return {"schemas_present": workspace_schemas(), **summary_ms(timings)}


def hash_once() -> float:
    from django.contrib.auth.hashers import make_password

    started = time.perf_counter()
    make_password(OWNER_PASSWORD)
    return time.perf_counter() - started


def breakdown(runs: int, methods: dict[str, Callable[[str], None]]) -> dict[str, Any]:
    """Where a creation's time goes: the schema step per method and the password hash."""
    timings: dict[str, list[float]] = {"clone_schema": [], "migrate_schema": [], "hash": []}
    for run_number in range(runs):
        order = ["clone", "migrate"] if run_number % 2 == 0 else ["migrate", "clone"]
        for name in order:
            timings[f"{name}_schema"].append(build_only(name, run_number, methods[name]))
        timings["hash"].append(hash_once())
    figures = {name: summary_ms(values) for name, values in timings.items()}
    return {
        "what": "the schema step alone (clone_template / migrate_new_schema in a transaction "
        "that is then rolled back; no workspace row, no commit) and one owner password "
        "hash, alternating like the main runs, after them",
        "clone_schema": figures["clone_schema"],
        "migrate_schema": figures["migrate_schema"],
        "owner_password_hash": figures["hash"],
        "schema_ratio_p50": round(
            figures["migrate_schema"]["p50_ms"] / figures["clone_schema"]["p50_ms"], 2
        ),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    recreate_database()
    setup_django()

    from django.conf import settings

    from tenants.services.template import clone_template, migrate_new_schema, refresh_template

    methods: dict[str, Callable[[str], None]] = {
        "clone": clone_template,
        "migrate": migrate_new_schema,
    }

    started = time.perf_counter()
    refreshed = refresh_template()
    template_refresh_ms = round((time.perf_counter() - started) * 1000, 1)

    probe_before = clone_probe(clone_template, "before")

    index = 0
    for _ in range(args.warmup):
        for name, build in methods.items():
            index += 1
            create_one(name, index, build)

    timings: dict[str, list[float]] = {name: [] for name in methods}
    for run_number in range(args.runs):
        # Alternate which method goes first, so neither always follows the other.
        order = ["clone", "migrate"] if run_number % 2 == 0 else ["migrate", "clone"]
        for name in order:
            index += 1
            timings[name].append(create_one(name, index, methods[name]))

    parts = breakdown(args.runs, methods)
    probe_after = clone_probe(clone_template, "after")
    clone = summary_ms(timings["clone"])
    migrate = summary_ms(timings["migrate"])
    ratio = migrate["p50_ms"] / clone["p50_ms"]
    document: dict[str, Any] = {
        "benchmark": "provisioning",
        "method": {
            "call": "tenants.services.provisioning.create_workspace(name, slug, owner_email, "
            "owner_password, build_schema=...): row, schema, owner account and domain in one "
            "transaction; wall time of the whole call",
            "clone": "build_schema=tenants.services.template.clone_template (the default)",
            "migrate": "build_schema=tenants.services.template.migrate_new_schema (baseline)",
            "runs_per_method": args.runs,
            "warmup_per_method": args.warmup,
            "order": "alternating pairs: clone then migrate, then migrate then clone, ...",
            "template": "refresh_template() called once before timing (not in the figures)",
            "password_hasher": settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1],
            "database": "fresh database, dropped at the end",
        },
        "template_refresh_ms": template_refresh_ms,
        "template_refresh_rebuilt": refreshed,
        "clone": clone,
        "migrate": migrate,
        "ratio_p50": round(ratio, 2),
        "goal_ratio_min": GOAL_RATIO_MIN,
        "goal_ratio_met": ratio >= GOAL_RATIO_MIN,
        "goal_clone_p50_ms_max": GOAL_CLONE_P50_MS_MAX,
        "goal_clone_p50_met": clone["p50_ms"] <= GOAL_CLONE_P50_MS_MAX,
        "breakdown": parts,
        "clone_schema_vs_schemas_present": {
            "what": "clone_template alone (3 runs, rolled back) before the first and after the "
            "last creation; schemas_present counts every schema but public and the "
            "system ones (the template included)",
            "before": probe_before,
            "after": probe_after,
        },
        "migrations": migration_counts(),
        "machine": machine_info(),
    }
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
