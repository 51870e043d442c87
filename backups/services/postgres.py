"""pg_dump and pg_restore against the configured database (or a scratch one beside it).

The tools are the ones on PATH or in CRM_PG_BIN; they must match the server's major
version. Connection settings go to them as libpq environment variables, so no password
ever appears on a command line.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
import psycopg.conninfo
import structlog
from django.conf import settings
from django.db import connection
from psycopg import sql

from backups.errors import PostgresToolFailed

log = structlog.get_logger(__name__)


def tool(name: str) -> str:
    """The path of a PostgreSQL client program, or PostgresToolFailed saying where to look."""
    directory = settings.CRM_PG_BIN
    path = str(Path(directory) / name) if directory else shutil.which(name)
    if not path or not Path(path).exists():
        raise PostgresToolFailed(
            f"{name} was not found ({'in ' + directory if directory else 'on PATH'}); install "
            "the PostgreSQL client of the server's major version or set CRM_PG_BIN."
        )
    return path


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


# Connection OPTIONS (from DATABASE_URL's query string) that libpq understands, and the
# environment variable each one is to the client programs.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def _libpq_options() -> dict[str, str]:
    options = connection.settings_dict.get("OPTIONS") or {}
    return {key: str(options[key]) for key in LIBPQ_OPTIONS if options.get(key)}


def libpq_environment() -> dict[str, str]:
    """The default database's connection settings as libpq variables (PGHOST...)."""
    database = connection.settings_dict
    pairs = {
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        **{LIBPQ_OPTIONS[key]: value for key, value in _libpq_options().items()},
    }
    return {**os.environ, **{key: str(value) for key, value in pairs.items() if value}}


def run_tool(arguments: Sequence[str]) -> str:
    """Run a client program; its stdout, or PostgresToolFailed with its own words."""
    completed = subprocess.run(  # noqa: S603 - our arguments, no shell
        list(arguments), env=libpq_environment(), capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()[-3:] or [f"exit {completed.returncode}"]
        raise PostgresToolFailed(f"{Path(arguments[0]).name} failed: {' '.join(message)}")
    return completed.stdout


def check_lock_capacity() -> None:
    """PostgresToolFailed, before anything is written, when a dump of the whole database
    cannot fit PostgreSQL's lock table: pg_dump holds a lock on every table and sequence it
    reads until it ends, and the shared table has max_locks_per_transaction x
    (max_connections + max_prepared_transactions) slots for every session together."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            "        WHERE c.relkind IN ('r', 'p', 'S', 'm', 'f')"
            "        AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            "        AND n.nspname NOT LIKE 'pg_toast%%'),"
            " current_setting('max_locks_per_transaction')::int,"
            " current_setting('max_connections')::int"
            " + current_setting('max_prepared_transactions')::int"
        )
        relations, per_transaction, sessions = cursor.fetchone()
    if relations <= per_transaction * sessions:
        return
    # A quarter more than the dump needs: the app's own sessions lock tables meanwhile.
    wanted = 1 << math.ceil(math.log2(relations * 1.25 / sessions))
    raise PostgresToolFailed(
        f"A dump of the whole database locks its {relations} tables and sequences at once, "
        f"more than PostgreSQL's lock table leaves room for (max_locks_per_transaction "
        f"{per_transaction} x {sessions} sessions). Set max_locks_per_transaction to {wanted} "
        "(ALTER SYSTEM SET max_locks_per_transaction = "
        f"{wanted}, or the provider's parameter group) and restart PostgreSQL, then run the "
        "backup again. Nothing was stored."
    )


def dump_database(target: Path, *, snapshot: str | None) -> None:
    arguments = [tool("pg_dump"), "--format=custom", f"--file={target}"]
    run_tool([*arguments, *_snapshot(snapshot), "--dbname", database_name()])


def dump_schema(
    target: Path, *, schema: str, database: str | None = None, snapshot: str | None
) -> None:
    arguments = [tool("pg_dump"), "--format=custom", f"--file={target}", f"--schema={schema}"]
    run_tool([*arguments, *_snapshot(snapshot), "--dbname", database or database_name()])


def _snapshot(snapshot: str | None) -> list[str]:
    return [f"--snapshot={snapshot}"] if snapshot else []


def list_dump(dump: Path) -> list[str]:
    """The table of contents of a custom-format dump; PostgresToolFailed if unreadable."""
    return [
        line for line in run_tool([tool("pg_restore"), "--list", str(dump)]).splitlines() if line
    ]


def restore_dump(dump: Path, *, database: str, use_list: Path | None = None) -> None:
    arguments = [tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    if use_list is not None:
        arguments.append(f"--use-list={use_list}")
    run_tool([*arguments, "--dbname", database, str(dump)])


def _connect(database: str) -> psycopg.Connection[tuple[object, ...]]:
    settings_dict = connection.settings_dict
    parts = {
        "dbname": database,
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        **_libpq_options(),
    }
    conninfo = psycopg.conninfo.make_conninfo(
        **{key: str(value) for key, value in parts.items() if value}
    )
    return psycopg.connect(conninfo, autocommit=True)


@contextmanager
def scratch_database(work_dir: Path) -> Iterator[str]:
    """A new, empty database beside ours holding our extensions and public functions (the
    triggers of a workspace schema call them), dropped afterwards whatever happens."""
    name = f"crm_restore_{uuid.uuid4().hex[:12]}"
    try:
        with _connect(database_name()) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            extensions = [
                row[0]
                for row in admin.execute(
                    "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"
                ).fetchall()
            ]
    except psycopg.Error as error:
        raise PostgresToolFailed(
            f"Cannot create the scratch database a restore needs ({error}); give the "
            "database user CREATEDB (ALTER ROLE ... CREATEDB). Nothing was changed."
        ) from None
    try:
        with _connect(name) as scratch:
            for extension in extensions:
                scratch.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {} SCHEMA public").format(
                        sql.Identifier(str(extension))
                    )
                )
        _copy_public_functions(work_dir, name)
        yield name
    finally:
        with _connect(database_name()) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _copy_public_functions(work_dir: Path, scratch: str) -> None:
    functions_dump = work_dir / "public-functions.dump"
    run_tool(
        [
            tool("pg_dump"),
            "--format=custom",
            "--schema-only",
            "--schema=public",
            f"--file={functions_dump}",
            "--dbname",
            database_name(),
        ]
    )
    wanted = [line for line in list_dump(functions_dump) if " FUNCTION public " in line]
    if not wanted:
        return
    use_list = work_dir / "public-functions.list"
    use_list.write_text("\n".join(wanted) + "\n")
    restore_dump(functions_dump, database=scratch, use_list=use_list)


def rename_schema(*, database: str, old: str, new: str) -> None:
    with _connect(database) as scratch:
        scratch.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
        )
