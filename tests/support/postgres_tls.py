"""SSL switched on, for real, in the running local PostgreSQL: a fresh CA, a server certificate
for localhost and 127.0.0.1, ALTER SYSTEM and a reload; then every setting back as it was.

Open connections are not touched by either reload; new ones with libpq's default
sslmode=prefer connect either way (encrypted while SSL is on)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.certificates import issue_certificate, make_authority

SERVER_SETTINGS = ("ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file")
CLIENT_NAME = "crm-app"


@dataclass
class ServerTls:
    authority: Path
    wrong_authority: Path
    client_certificate: Path
    client_key: Path
    ssl_before: str  # the server's ssl setting before (and after) the switch


def connect(server: Mapping[str, str], **options: str) -> psycopg.Connection:
    """An autocommit connection to the server's `postgres` database (host, port, user)."""
    conninfo = psycopg.conninfo.make_conninfo(**{**server, "dbname": "postgres", **options})
    return psycopg.connect(conninfo, autocommit=True)


def _wait_for_server_ssl(server: Mapping[str, str], expected: str) -> None:
    """Until new backends see the reloaded setting (the reload is asynchronous)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with connect(server) as probe:
            if probe.execute("SHOW ssl").fetchone() == (expected,):
                return
        time.sleep(0.05)
    raise AssertionError(f"PostgreSQL did not turn ssl {expected} after pg_reload_conf()")


def _as_server_owner(command: list[str], owner_uid: int) -> None:
    """Run `command` (install, rm) as a user who may give files to the server's user: us when
    we are that user or root, else passwordless sudo."""
    prefix = [] if os.geteuid() in (0, owner_uid) else ["sudo", "-n"]
    result = subprocess.run(prefix + command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.stderr.strip()}): switching SSL on gives the "
            "PostgreSQL server its certificate; run as root, as the server's user, or with "
            "passwordless sudo."
        )


def _set_server(admin: psycopg.Connection, settings: Mapping[str, str | None]) -> None:
    for name, value in settings.items():
        if value is None:
            admin.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
        else:
            admin.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
    admin.execute("SELECT pg_reload_conf()")


@contextmanager
def postgres_tls_on(server: Mapping[str, str], work_dir: Path) -> Iterator[ServerTls]:
    """SSL on with a fresh CA (which also verifies a client certificate, when one is offered);
    `work_dir` receives the CA, a wrong CA and a client certificate for the callers."""
    with connect(server) as admin:
        row = admin.execute("SELECT current_setting('data_directory'), current_setting('ssl')")
        data_directory_name, ssl_before = row.fetchone() or ("", "")
        data_directory = Path(data_directory_name)
        owner = data_directory.stat()
        # Inside the data directory, so a restart after a killed run still finds the files.
        server_dir = data_directory / "crm-test-tls"
        authority = make_authority("CRM test CA")
        server_files = issue_certificate(
            authority,
            "localhost",
            names=["localhost", "127.0.0.1"],
            directory=work_dir,
            stem="server",
        )
        client_certificate, client_key = issue_certificate(
            authority, CLIENT_NAME, names=[], directory=work_dir, stem="client"
        )
        tls = ServerTls(
            authority=authority.write(work_dir / "ca.crt"),
            wrong_authority=make_authority("Someone else's CA").write(work_dir / "wrong-ca.crt"),
            client_certificate=client_certificate,
            client_key=client_key,
            ssl_before=ssl_before,
        )
        ids = ["-o", str(owner.st_uid), "-g", str(owner.st_gid)]
        _as_server_owner(["install", "-d", *ids, "-m", "700", str(server_dir)], owner.st_uid)
        for source in (*server_files, tls.authority):
            target = server_dir / source.name
            _as_server_owner(["install", *ids, "-m", "600", str(source), str(target)], owner.st_uid)
        try:
            _set_server(
                admin,
                {
                    "ssl_cert_file": str(server_dir / "server.crt"),
                    "ssl_key_file": str(server_dir / "server.key"),
                    "ssl_ca_file": str(server_dir / "ca.crt"),
                    "ssl": "on",
                },
            )
            _wait_for_server_ssl(server, "on")
            yield tls
        finally:
            _set_server(admin, dict.fromkeys(SERVER_SETTINGS))
            _wait_for_server_ssl(server, ssl_before)
            _as_server_owner(["rm", "-rf", str(server_dir)], owner.st_uid)
