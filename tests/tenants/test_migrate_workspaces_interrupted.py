"""manage.py migrate_workspaces killed (SIGKILL, the whole process group) when about half the
workspaces have a new additive migration, then run again: every schema ends current, the
rerun migrates only what was left, and no migration is applied or recorded twice. A real
subprocess on a database of the test's own."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.migrations import additive_migration
from tests.support.servers import ROOT

WORKSPACES = 40
PROBE = additive_migration("interrupt_note")
MAKE_WORKSPACES = """
from tenants.models import Workspace
from tenants.services.template import clone_template
rows = [Workspace(name=f"Cut {n}", slug=f"cut{n:03d}", schema_name=f"ws_cut{n:03d}")
        for n in range(COUNT)]
Workspace.objects.bulk_create(rows)
for row in rows:
    clone_template(row.schema_name)
"""


def admin(sql: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"crm_interrupt_{secrets.token_hex(4)}"
    admin(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def with_probe(tmp_path: Path) -> Path:
    """A settings module whose payments migrations are the real ones plus one additive one."""
    package = tmp_path / "probe_payments_migrations"
    shutil.copytree(ROOT / "billing" / "payments" / "migrations", package)
    last = sorted(path.stem for path in package.glob("0*.py"))[-1]
    (package / "0999_interrupt_probe.py").write_text(PROBE.format(last=last))
    (tmp_path / "probe_settings.py").write_text(
        "from project.settings import *  # noqa: F403\n"
        'MIGRATION_MODULES = {"payments": "probe_payments_migrations"}\n'
    )
    return tmp_path


def manage_env(database: str, settings_dir: Path | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DJANGO_", "PYTEST_", "DATABASE_"))
    }
    env |= {
        "DJANGO_ENV": "test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/4",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    if settings_dir:
        env |= {"DJANGO_SETTINGS_MODULE": "probe_settings", "PYTHONPATH": str(settings_dir)}
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def per_schema(database: str, sql: str) -> dict[str, int]:
    """`sql` (a count, with {schema} in it) for every workspace schema and the template."""
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}") as db:
        schemas = [
            row[0]
            for row in db.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ws\\_cut%' "
                "OR nspname = 'workspace_template' ORDER BY 1"
            )
        ]
        counts = {}
        for schema in schemas:
            (counts[schema],) = db.execute(sql.format(schema=schema)).fetchall()[0]
        return counts


def test_killed_half_way_the_rerun_finishes_and_applies_nothing_twice(
    database: str, tmp_path: Path
) -> None:
    plain = manage_env(database)
    manage(plain, "migrate_workspaces", "--processes", "2")
    manage(plain, "shell", "-c", MAKE_WORKSPACES.replace("COUNT", str(WORKSPACES)))
    probe = manage_env(database, with_probe(tmp_path))

    interrupted = subprocess.Popen(
        [sys.executable, "manage.py", "migrate_workspaces", "--processes", "2"],
        cwd=ROOT, env=probe, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    reported = 0
    assert interrupted.stdout is not None
    for line in interrupted.stdout:
        progress = re.match(r"\[(\d+)/(\d+)\] ws_cut\d+: 1 migration", line)
        if progress:
            reported = int(progress.group(1))
            assert int(progress.group(2)) == WORKSPACES
            if reported >= WORKSPACES // 2:
                os.killpg(interrupted.pid, signal.SIGKILL)  # the command and its pool
                break
    interrupted.wait(timeout=30)
    assert interrupted.returncode == -signal.SIGKILL
    assert WORKSPACES // 2 <= reported < WORKSPACES

    rerun = manage(probe, "migrate_workspaces", "--processes", "2")

    summary = re.search(r"(\d+) of (\d+) workspace schemas were behind", rerun)
    assert summary is not None, rerun
    left = int(summary.group(1))
    assert 1 <= left <= WORKSPACES - reported  # the ones done before the kill are not redone
    assert "0 failed" in rerun
    assert "0 of 40 workspace schemas were behind" in manage(probe, "migrate_workspaces")
    column = per_schema(
        database,
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = '{schema}' "
        "AND table_name = 'payments_payment' AND column_name = 'interrupt_note'",
    )
    assert len(column) == WORKSPACES + 1 and set(column.values()) == {1}
    recorded = per_schema(
        database,
        "SELECT count(*) FROM {schema}.django_migrations WHERE name = '0999_interrupt_probe'",
    )
    assert set(recorded.values()) == {1}
    twice = per_schema(
        database,
        "SELECT count(*) FROM (SELECT app, name FROM {schema}.django_migrations "
        "GROUP BY app, name HAVING count(*) > 1) AS repeated",
    )
    assert set(twice.values()) == {0}
    indexes = per_schema(
        database,
        "SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' "
        "AND indexname = 'payments_interrupt_note_idx'",
    )
    assert set(indexes.values()) == {1}
