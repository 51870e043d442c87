"""What a new database connection costs: straight to PostgreSQL, or to PgBouncer beside the
app, and with --tls what the TLS handshake adds.

Behind PgBouncer in session mode the app opens a connection per request
(CRM_DATABASE_POOLER=pgbouncer-session); this measures that connection (connect, SELECT 1,
close) against a new PostgreSQL backend each time. Prints one JSON document.

    .venv/bin/python bench/database_connections.py --connections 300 [--tls]

--tls switches SSL on in the local PostgreSQL for the run (ALTER SYSTEM and a reload, as
tests/deploy/test_database_tls.py does; needs root, the server's user or passwordless sudo)
and puts every setting back at the end. No database is created: it connects to `postgres`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from bench_support import emit, stdout_to_stderr, summary_ms  # noqa: E402

from tests.support.pgbouncer import PGBOUNCER, pgbouncer  # noqa: E402
from tests.support.postgres_tls import postgres_tls_on  # noqa: E402

SERVER = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": os.environ.get("PGPORT", "5432"),
    "user": os.environ.get("PGUSER", "postgres"),
}


def timed_connections(conninfo: str, count: int) -> list[float]:
    """Seconds for each of `count` connect + SELECT 1 + close, one after another."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("SELECT 1").fetchone()
        samples.append(time.perf_counter() - started)
    return samples


def conninfo(port: str | int, **options: str) -> str:
    return psycopg.conninfo.make_conninfo(
        **{**SERVER, "port": str(port), "dbname": "postgres", **options}
    )


@contextmanager
def readable_copy(path: Path) -> Iterator[Path]:
    """`path` copied where PgBouncer's unprivileged user can read it."""
    directory = Path(tempfile.mkdtemp(prefix="bench-ca-"))
    directory.chmod(0o755)
    copy = directory / path.name
    copy.write_bytes(path.read_bytes())
    copy.chmod(0o644)
    try:
        yield copy
    finally:
        copy.unlink()
        directory.rmdir()


def run(count: int, tls: bool) -> dict[str, object]:
    cases: dict[str, Callable[[], list[float]]] = {}
    with ExitStack() as stack:
        bouncer_settings = {"pool_mode": "session", "default_pool_size": "4"}
        if tls:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            server_tls = stack.enter_context(postgres_tls_on(SERVER, work))
            authority = stack.enter_context(readable_copy(server_tls.authority))
            bouncer_settings |= {
                "server_tls_sslmode": "verify-full",
                "server_tls_ca_file": str(authority),
            }
        bouncer = stack.enter_context(
            pgbouncer(
                server_host=SERVER["host"],
                server_port=int(SERVER["port"]),
                user=SERVER["user"],
                settings=bouncer_settings,
            )
        )
        cases["postgresql_plain"] = lambda: timed_connections(
            conninfo(SERVER["port"], sslmode="disable"), count
        )
        if tls:
            cases["postgresql_tls_verify_full"] = lambda: timed_connections(
                conninfo(
                    SERVER["port"],
                    host="localhost",
                    hostaddr="127.0.0.1",
                    sslmode="verify-full",
                    sslrootcert=str(server_tls.authority),
                ),
                count,
            )
        leg = "tls" if tls else "plain"
        cases[f"pgbouncer_session_server_{leg}"] = lambda: timed_connections(
            conninfo(bouncer.port, sslmode="disable"), count
        )
        timed_connections(conninfo(bouncer.port, sslmode="disable"), 5)  # warm the pool
        figures = {name: summary_ms(measure()) for name, measure in cases.items()}
        server_connections = bouncer.server_connections_opened("postgres")
    version = subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True, check=False)
    with psycopg.connect(conninfo(SERVER["port"]), autocommit=True) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()
    return {
        "benchmark": "database_connections",
        "connections_per_case": count,
        "connect_select_close": figures,
        "pgbouncer_server_connections_opened": server_connections,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": postgres[0] if postgres else None,
            "pgbouncer": version.stdout.splitlines()[0] if version.stdout else None,
            "libpq": psycopg.pq.version(),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--tls", action="store_true", help="switch SSL on for the run")
    arguments = parser.parse_args()
    started = time.monotonic()
    with stdout_to_stderr() as stdout:
        document = run(arguments.connections, arguments.tls)
        document["duration_s"] = round(time.monotonic() - started, 1)
        emit(document, stdout)


if __name__ == "__main__":
    main()
