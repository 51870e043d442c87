"""Migrations at 1,000 workspaces (issue 12, item 1): `migrate_workspaces` with nothing
pending, and with one new additive migration (a nullable column and an index) for every
workspace, beside django-tenants' `migrate_schemas` on the same database (the baseline,
timed per schema on a sample and scaled to all, since it takes minutes).

Prints JSON. Its own database (crm_bench_migrate), dropped and made again each run.
Run from the repository root: .venv/bin/python bench/migrate_workspaces.py
BENCH_WORKSPACES (1000), BENCH_BASELINE_SAMPLE (40), BENCH_PROCESSES (2)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_migrate")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import ROOT, machine, prepare_django

from tests.support.migrations import additive_migration

WORKSPACES = int(os.environ.get("BENCH_WORKSPACES", "1000"))
BASELINE_SAMPLE = int(os.environ.get("BENCH_BASELINE_SAMPLE", "40"))
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "2"))
PROBE = additive_migration("bench_note")


def make_workspaces(count: int) -> float:
    """`count` workspace rows and schemas, cloned from the template as provisioning does
    (no owner or domain: migrations need neither). Returns the seconds it took."""
    from tenants.models import Workspace
    from tenants.services.template import clone_template, ensure_template

    ensure_template()
    started = time.perf_counter()
    rows = [
        Workspace(name=f"Bench {n}", slug=f"bench{n:05d}", schema_name=f"ws_bench{n:05d}")
        for n in range(count)
    ]
    Workspace.objects.bulk_create(rows)
    for row in rows:
        clone_template(row.schema_name)
    return time.perf_counter() - started


def baseline_per_schema(schemas: list[str]) -> float:
    """django-tenants' migrate_schemas, one schema at a time (what it does for each of
    them), nothing pending: seconds per schema."""
    from django.core.management import call_command

    started = time.perf_counter()
    for schema in schemas:
        call_command(
            "migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0
        )
    return (time.perf_counter() - started) / len(schemas)


def with_probe_migration(workdir: Path) -> str:
    """Point the payments app at a copy of its migrations plus one additive migration."""
    from django.conf import settings

    from tenants.services.template import expected_migrations

    package = workdir / "bench_payments_migrations"
    shutil.copytree(ROOT / "billing" / "payments" / "migrations", package)
    last = sorted(p.stem for p in package.glob("0*.py"))[-1]
    (package / "0999_bench_probe.py").write_text(PROBE.format(last=last))
    sys.path.insert(0, str(workdir))
    settings.MIGRATION_MODULES = {"payments": "bench_payments_migrations"}
    expected_migrations.cache_clear()
    return "0999_bench_probe"


def main() -> None:
    prepare_django()
    from django.db import connection

    from tenants.services.schema_migrations import migrate_workspaces, workspace_schemas

    setup_seconds = make_workspaces(WORKSPACES)
    schemas = workspace_schemas()

    idle = []
    for _ in range(3):
        run = migrate_workspaces(processes=PROCESSES)
        assert not run.behind and not run.failures, run
        idle.append(run.seconds)
    per_schema = baseline_per_schema(schemas[:BASELINE_SAMPLE])

    with tempfile.TemporaryDirectory() as workdir:
        probe = with_probe_migration(Path(workdir))
        additive = migrate_workspaces(processes=PROCESSES)
        assert len(additive.behind) == WORKSPACES and not additive.failures, additive.failures
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'payments_bench_note_idx'"
            )
            indexed = cursor.fetchone()[0]
        assert indexed >= WORKSPACES, indexed  # every workspace (and the template) has it
        again = migrate_workspaces(processes=PROCESSES)
        assert not again.behind, again.behind

    baseline_all = per_schema * WORKSPACES
    print(
        json.dumps(
            {
                "benchmark": "migrate_workspaces",
                "workspaces": WORKSPACES,
                "processes": PROCESSES,
                "method": "manage.py migrate_workspaces' service: one statement reads every "
                "schema's django_migrations against the files, only schemas behind migrate "
                "(a fork pool; the graph read once per process, the starting state rendered "
                "once per set of applied migrations), then the template refresh; baseline: "
                f"django-tenants migrate_schemas per schema on a sample of {BASELINE_SAMPLE}, "
                "scaled to all",
                "setup_seconds_cloning_workspaces": round(setup_seconds, 1),
                "nothing_pending_seconds": idle,
                "nothing_pending_goal_seconds": 5,
                "baseline_migrate_schemas_seconds_per_schema": round(per_schema, 3),
                "baseline_migrate_schemas_all_seconds_estimated": round(baseline_all, 1),
                "nothing_pending_ratio_to_baseline": round(min(idle) / baseline_all, 4),
                "additive_migration": probe,
                "additive_seconds": additive.seconds,
                "additive_schemas_migrated": len(additive.results),
                "additive_template_rebuilt": additive.template_rebuilt,
                "additive_goal_seconds": 60,
                "rerun_after_additive_seconds": again.seconds,
                "goal_met": min(idle) < 5 and additive.seconds < 60,
                "load_average": os.getloadavg()[0],
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
