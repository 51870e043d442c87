"""Backups: time and size of `manage.py backup` and of restoring one workspace.

Prints one JSON document to stdout. Run from the repo root:

    .venv/bin/python bench/backup_restore.py [--workspaces 100] [--leads 200]

Uses its own database (crm_bench_backups, dropped and recreated at start, dropped at the
end), Redis database 5 and a temporary backup directory, unless DATABASE_URL / REDIS_URL
say otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _name, _value in {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm_bench_backups",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "DJANGO_ENV": "dev",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "project.settings",
}.items():
    os.environ.setdefault(_name, _value)
_BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(_BENCH.parent), str(_BENCH)]  # the repo (project code), bench_support

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench_support import (  # noqa: E402
    drop_database,
    emit,
    machine_info,
    recreate_database,
    setup_django,
    stdout_to_stderr,
)

OWNER_PASSWORD = "a long bench passphrase"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=100)
    parser.add_argument("--leads", type=int, default=200, help="leads per workspace")
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args()


def populate(workspaces: int, leads: int) -> list[str]:
    from django_tenants.utils import schema_context

    from crm.models import Lead
    from tenants.services.provisioning import create_workspace

    slugs = []
    for number in range(workspaces):
        slug = f"bench-{number:04d}"
        workspace = create_workspace(
            name=f"Bench {number}",
            slug=slug,
            owner_email=f"owner@{slug}.example",
            owner_password=OWNER_PASSWORD,
        )
        with schema_context(workspace.schema_name):
            # Bench data, not a feature: straight rows, no per-lead service call.
            Lead.objects.bulk_create(
                Lead(first_name=f"Lead {i}", email=f"lead{i}@{slug}.example", company="Bench")
                for i in range(leads)
            )
        slugs.append(slug)
    return slugs


def run(args: argparse.Namespace) -> dict[str, Any]:
    recreate_database()
    setup_django()
    from django.test import override_settings

    from backups.services import restore_workspace, take_backup

    try:
        started = time.perf_counter()
        slugs = populate(args.workspaces, args.leads)
        populated = time.perf_counter() - started
        with (
            tempfile.TemporaryDirectory(prefix="crm-bench-backups-") as directory,
            override_settings(CRM_BACKUP_DIR=directory, CRM_BACKUP_URL=""),
        ):
            taken = take_backup()
            folder = Path(directory) / taken.name
            schema_dumps = [dump.stat().st_size for dump in (folder / "schemas").glob("*.dump")]
            full_dump = (folder / "full.dump").stat().st_size
            started = time.perf_counter()
            restore_workspace(
                slug=slugs[len(slugs) // 2], backup=taken.name, confirm=lambda question: True
            )
            in_place = time.perf_counter() - started
            started = time.perf_counter()
            restore_workspace(
                slug=slugs[0], backup=taken.name, new_slug="bench-copy", confirm=lambda q: True
            )
            as_copy = time.perf_counter() - started
        return {
            "benchmark": "backups",
            "workspaces": args.workspaces,
            "leads_per_workspace": args.leads,
            "populate_seconds": round(populated, 1),
            "backup_seconds": taken.seconds,
            "backup_bytes": taken.bytes,
            "full_dump_bytes": full_dump,
            "workspace_dump_bytes_mean": round(sum(schema_dumps) / max(len(schema_dumps), 1)),
            "restore_in_place_seconds": round(in_place, 2),
            "restore_as_copy_seconds": round(as_copy, 2),
            "machine": machine_info(),
        }
    finally:
        if not args.keep_database:
            drop_database()


def main() -> None:
    args = parse_args()
    with stdout_to_stderr() as stdout:
        document = run(args)
    emit(document, stdout)


if __name__ == "__main__":
    main()
