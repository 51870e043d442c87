"""Shared plumbing for the benchmarks: a private database, Django setup, figures, machine facts.

Import this only after the calling script has set its environment defaults (DATABASE_URL,
REDIS_URL, DJANGO_ENV, LOG_LEVEL): nothing here imports Django at module level.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO
from urllib.parse import urlparse


def _database_parts() -> tuple[str, dict[str, Any]]:
    """The bench database's name and the psycopg keywords to reach its server."""
    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    params: dict[str, Any] = {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": "postgres",
        "autocommit": True,
    }
    if url.password:
        params["password"] = url.password
    return name, params


def _refuse_foreign_database(name: str) -> None:
    # The benchmark drops its database; never do that to one that is not obviously ours.
    if "bench" not in name:
        raise SystemExit(
            f"DATABASE_URL names {name!r}; the benchmarks drop and recreate their database, "
            "so its name must contain 'bench'."
        )


def recreate_database() -> None:
    """Drop and recreate the bench database so that every run starts from nothing."""
    import psycopg

    name, params = _database_parts()
    _refuse_foreign_database(name)
    with psycopg.connect(**params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database() -> None:
    """Remove the bench database and every schema in it (the end-of-run clean-up)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    name, params = _database_parts()
    _refuse_foreign_database(name)
    with psycopg.connect(**params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django() -> None:
    """django.setup() and the shared (public) migrations, quietly."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[TextIO]:
    """Send anything printed while benchmarking to stderr; yield the real stdout for the JSON."""
    real = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        yield real


def emit(document: dict[str, Any], stream: TextIO) -> None:
    stream.write(json.dumps(document, indent=2) + "\n")
    stream.flush()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolation percentile (numpy's default), fraction in [0, 1]."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    millis = [value * 1000 for value in seconds]
    return {
        "n": len(millis),
        "p50_ms": round(percentile(millis, 0.50), 1),
        "p95_ms": round(percentile(millis, 0.95), 1),
        "mean_ms": round(statistics.fmean(millis), 1),
        "min_ms": round(min(millis), 1),
        "max_ms": round(max(millis), 1),
    }


def machine_info() -> dict[str, Any]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    try:
        from importlib.metadata import version

        tenants_version = version("django-tenants")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        tenants_version = "unknown"
    try:
        load = [round(value, 2) for value in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        load = []
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "postgres": postgres_version,
        "django": django.get_version(),
        "django_tenants": tenants_version,
        "platform": platform.platform(),
        "load_average_at_end": load,
    }
