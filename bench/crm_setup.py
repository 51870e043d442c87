"""Shared set-up for the CRM benchmarks: their own database, migrated, with one workspace.

Run from the repository root; the database is dropped and made again each run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DJANGO_ENV", "dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_crm")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CRM_SIGNUP_RATE", "100000/h")
# Benchmarks measure the API, not the per-key limit (600/min by default).
os.environ.setdefault("CRM_API_RATE_KEY", "1000000/m")

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

if TYPE_CHECKING:
    from tenants.models import Workspace


def recreate_database() -> str:
    url = os.environ["DATABASE_URL"]
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
    return url


def prepare_django() -> None:
    recreate_database()
    import django

    django.setup()
    from django.core.cache import caches
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)
    caches["default"].clear()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def machine() -> dict[str, object]:
    import platform

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres": version}


def on_unlimited_plan(workspace: Workspace) -> None:
    """Move a benchmark's workspace from its trial to the Scale plan (no limits), through
    billing's own standing change, so a 100k-row import or send measures the engine and is
    not refused by the trial's limits."""
    from billing.models import BillingAccount, Plan
    from billing.services.standing import move_standing
    from tenants.models import BillingStatus

    account = BillingAccount.objects.select_related("workspace").get(workspace=workspace)
    moved = move_standing(
        account=account,
        plan=Plan.objects.get(slug="scale"),
        status=BillingStatus.ACTIVE,
        read_only_from=None,
        reason="benchmark",
    )
    assert moved, "the benchmark workspace could not be moved to the Scale plan"
    workspace.refresh_from_db()
