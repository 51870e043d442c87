"""TLS to the database, for real: the test switches SSL on in the local PostgreSQL (its own CA,
a server certificate for localhost and 127.0.0.1, ALTER SYSTEM and a reload), and the app, as
a subprocess (`manage.py database_status`), connects with the options in DATABASE_URL's query
string and reports what PostgreSQL's pg_stat_ssl says about its backend.

Other tests use the same cluster at the same time: switching SSL on and off leaves their open
connections alone, and their default sslmode=prefer connects either way (the first test)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from project.config import ConfigError, refuse_plaintext_database
from tests.support.pgbouncer import pgbouncer
from tests.support.postgres_tls import CLIENT_NAME, ServerTls, postgres_tls_on
from tests.support.postgres_tls import connect as connect_to
from tests.support.servers import ROOT


def _server() -> dict[str, str]:
    settings = connection.settings_dict
    return {"host": settings["HOST"], "port": str(settings["PORT"]), "user": settings["USER"]}


def connect(**options: str) -> psycopg.Connection:
    return connect_to(_server(), **options)


def backend_ssl(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert row is not None
    return bool(row[0])


def test_switching_tls_on_and_off_keeps_open_connections_and_prefer_connects_either_way(
    tmp_path,
) -> None:
    # First in the module: it switches SSL on and off itself, before the module's fixture does.
    opened_before = connect(sslmode="disable")  # plain, whatever the server's ssl setting
    assert not backend_ssl(opened_before)

    with postgres_tls_on(_server(), tmp_path) as tls:
        assert opened_before.execute("SELECT 1").fetchone() == (1,)
        assert not backend_ssl(opened_before)
        opened_during = connect()  # sslmode=prefer, libpq's default and the test suite's
        assert opened_during.pgconn.ssl_in_use
        assert backend_ssl(opened_during)

    opened_after = connect()
    assert opened_after.execute("SELECT 1").fetchone() == (1,)
    assert opened_after.pgconn.ssl_in_use is (tls.ssl_before == "on")
    assert opened_before.execute("SELECT 1").fetchone() == (1,)
    assert backend_ssl(opened_during)  # an encrypted session stays encrypted
    for conn in (opened_before, opened_during, opened_after):
        conn.close()


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory) -> Iterator[ServerTls]:
    with postgres_tls_on(_server(), tmp_path_factory.mktemp("tls")) as tls:
        yield tls


def database_status(
    host: str = "127.0.0.1", port: int | None = None, **options: str
) -> subprocess.CompletedProcess[str]:
    """`manage.py database_status --require-tls` with DATABASE_URL carrying `options`."""
    server = _server()
    url = f"postgres://{server['user']}@{host}:{port or server['port']}/postgres?"
    env = {**os.environ, "DJANGO_ENV": "test", "DATABASE_URL": url + urlencode(options)}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "manage.py", "database_status", "--require-tls"],
        cwd=ROOT,
        env={**env, "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def reported(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_sslmode_require_in_database_url_encrypts_the_apps_connection(server_tls) -> None:
    state = reported(database_status(sslmode="require"))

    assert state["sslmode"] == "require"
    assert state["tls"] is True
    assert state["backend"]["ssl"] is True  # pg_stat_ssl for the app's own backend
    assert state["backend"]["ssl_version"].startswith("TLSv1.")


def test_a_connection_without_tls_is_reported_and_refused_by_require_tls(server_tls) -> None:
    result = database_status(sslmode="disable")

    assert result.returncode == 1
    assert '"tls": false' in result.stdout
    assert '"ssl": false' in result.stdout
    assert "as not encrypted (sslmode=disable)" in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_full_with_the_servers_ca_connects_to_localhost(server_tls) -> None:
    # hostaddr: connect to 127.0.0.1 whatever localhost resolves to; the name checked is host.
    state = reported(
        database_status(
            host="localhost",
            hostaddr="127.0.0.1",
            sslmode="verify-full",
            sslrootcert=str(server_tls.authority),
        )
    )

    assert state["tls"] is True
    assert state["backend"]["ssl"] is True


def test_verify_full_with_a_wrong_ca_is_refused_with_a_clear_message(server_tls) -> None:
    result = database_status(
        host="localhost",
        hostaddr="127.0.0.1",
        sslmode="verify-full",
        sslrootcert=str(server_tls.wrong_authority),
    )

    assert result.returncode == 1
    assert "Cannot connect to the database at localhost:" in result.stderr
    assert "certificate verify failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_verify_full_refuses_a_host_name_the_certificate_does_not_carry(server_tls) -> None:
    result = database_status(
        host="db.example.com",
        hostaddr="127.0.0.1",
        sslmode="verify-full",
        sslrootcert=str(server_tls.authority),
    )

    assert result.returncode == 1
    assert 'does not match host name "db.example.com"' in result.stderr
    assert "Traceback" not in result.stderr


def test_client_certificate_and_key_in_database_url_reach_the_server(server_tls, tmp_path) -> None:
    # libpq wants the key readable by its owner only; copy it so the test's user owns it.
    key = tmp_path / "client.key"
    shutil.copy(server_tls.client_key, key)
    key.chmod(0o600)

    state = reported(
        database_status(
            sslmode="verify-full",
            sslrootcert=str(server_tls.authority),
            sslcert=str(server_tls.client_certificate),
            sslkey=str(key),
        )
    )

    assert state["backend"]["client_certificate"] == f"/CN={CLIENT_NAME}"


def test_behind_pgbouncer_the_connection_into_postgresql_is_verified_tls(server_tls) -> None:
    # The production layout: the app talks to PgBouncer over the loopback address, PgBouncer
    # to PostgreSQL with server_tls_sslmode = verify-full and the CA (deploy/pgbouncer/).
    readable = Path(tempfile.mkdtemp(prefix="database-ca-"))
    try:
        readable.chmod(0o755)
        authority = Path(shutil.copy(server_tls.authority, readable / "ca.pem"))
        authority.chmod(0o644)
        with pgbouncer(
            server_host="127.0.0.1",
            server_port=int(_server()["port"]),
            user=_server()["user"],
            settings={
                "pool_mode": "session",
                "server_tls_sslmode": "verify-full",
                "server_tls_ca_file": str(authority),
            },
        ) as bouncer:
            state = reported(database_status(port=bouncer.port))
    finally:
        shutil.rmtree(readable)

    assert state["tls"] is False  # app -> PgBouncer, on this machine
    assert state["backend"]["ssl"] is True  # PgBouncer -> PostgreSQL


# --- The production profile refuses a remote database without TLS -------------------------

PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-value-0123456789",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CRM_BASE_DOMAIN": "crm.example.com",
    "CRM_FIELD_ENCRYPTION_KEY": "Z2VuZXJhdGVkLWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM=",
}


@pytest.mark.parametrize(
    "url",
    [
        "postgres://crm@db.example.com:5432/crm",
        "postgres://crm@db.example.com:5432/crm?sslmode=prefer",
        "postgres://crm@db.example.com:5432/crm?sslmode=allow",
        "postgres://crm@10.0.0.5:5432/crm?sslmode=disable",
    ],
)
@pytest.mark.parametrize("profile", ["production", "staging"])
def test_strict_profiles_refuse_a_remote_database_without_certain_tls(url, profile) -> None:
    with pytest.raises(ConfigError, match="sslmode=verify-full&sslrootcert="):
        refuse_plaintext_database({**PRODUCTION, "DATABASE_URL": url}, profile=profile)


@pytest.mark.parametrize(
    ("url", "extra"),
    [
        ("postgres://crm@db.example.com/crm?sslmode=require", {}),
        ("postgres://crm@db.example.com/crm?sslmode=verify-ca&sslrootcert=/ca.pem", {}),
        ("postgres://crm@db.example.com/crm?sslmode=verify-full&sslrootcert=/ca.pem", {}),
        ("postgres://crm@127.0.0.1:6432/crm", {}),  # PgBouncer beside the app
        ("postgres://crm@localhost/crm", {}),
        ("postgres://crm@[::1]/crm", {}),
        ("postgres://crm@/crm?host=/run/postgresql", {}),
        ("postgres://crm@postgres:5432/crm", {"CRM_DATABASE_ALLOW_PLAINTEXT": "true"}),
    ],
)
def test_strict_profiles_accept_tls_local_databases_and_an_explicit_private_network(
    url, extra
) -> None:
    refuse_plaintext_database({**PRODUCTION, "DATABASE_URL": url, **extra}, profile="production")


def test_dev_profile_reaches_any_database_without_tls() -> None:
    refuse_plaintext_database({"DATABASE_URL": "postgres://crm@db.example.com/crm"}, profile="dev")


def test_production_process_refuses_to_start_on_a_plaintext_remote_database() -> None:
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        **PRODUCTION,
        "DATABASE_URL": "postgres://crm@db.example.com:5432/crm?sslmode=prefer",
    }

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "project.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "DATABASE_URL reaches db.example.com with sslmode=prefer" in result.stderr
    assert "started" not in result.stdout
