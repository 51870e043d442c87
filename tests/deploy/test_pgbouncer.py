"""Behind a real PgBouncer in session mode (deploy/pgbouncer/pgbouncer.ini), every request sees
its own workspace's rows, while a pool of two server connections serves many app connections.

And why not transaction mode: django-tenants sets search_path in a statement of its own,
before the query; in autocommit that SET and the query are two transactions, and between
them PgBouncer may give the server connection to another client (shown deterministically
with a pool of one)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import httpx
import pytest
from django.db import connection, connections
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper

from project.config import ConfigError, choose_database_pooler, database_conn_max_age
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tests.support.certificates import make_authority
from tests.support.clients import bearer_client, sign_in_client
from tests.support.pgbouncer import pgbouncer
from tests.support.servers import ROOT, gunicorn_app
from tests.support.stripe_sales import make_lead
from tests.support.workers import committed_workspace

REQUESTS = 160
POOLING_SETTINGS = ("pool_mode", "server_reset_query", "max_client_conn", "query_wait_timeout")


@dataclass
class Tenant:
    workspace: Workspace
    emails: set[str]
    token: str
    session_cookie: str


def _settings() -> dict:
    return dict(connection.settings_dict)


def shipped_settings() -> dict[str, str]:
    """What deploy/pgbouncer/pgbouncer.ini decides about pooling (its addresses, users, TLS
    and sizes are the production host's)."""
    shipped = configparser.ConfigParser()
    shipped.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
    return {key: shipped["pgbouncer"][key] for key in POOLING_SETTINGS}


def fronted(settings: Mapping[str, str]):
    """PgBouncer with `settings` in front of the test database's server."""
    database = _settings()
    return pgbouncer(
        server_host=database["HOST"] or "127.0.0.1",
        server_port=int(database["PORT"] or 5432),
        user=database["USER"],
        settings=settings,
    )


def fronted_pgbouncer(*, pool_size: int, pool_mode: str | None = None):
    """PgBouncer with the shipped pooling settings (or another pool_mode) and at most
    `pool_size` server connections."""
    pooling = shipped_settings()
    return fronted(
        {
            **pooling,
            "pool_mode": pool_mode or pooling["pool_mode"],
            "default_pool_size": str(pool_size),
            "reserve_pool_size": "0",
        }
    )


@pytest.fixture(scope="module")
def tenants(django_db_blocker) -> Iterator[tuple[Tenant, Tenant]]:
    """Two committed workspaces (gunicorn and PgBouncer's clients see them) with distinct
    leads, an API token and a signed-in session each."""
    with ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        made = []
        for prefix, count in (("pool-alpha", 3), ("pool-beta", 2)):
            use_public_schema()  # the requests below leave the connection in a workspace
            workspace = stack.enter_context(
                committed_workspace(django_db_blocker, prefix=prefix, name=prefix.title())
            )
            owner = f"owner@{workspace.slug}.example"
            api = bearer_client(workspace, owner)
            emails = {f"lead{n}@{workspace.slug}.example" for n in range(count)}
            for email in sorted(emails):
                make_lead(api, email=email, first_name=f"Lead of {workspace.slug}")
            session = sign_in_client(workspace, owner).cookies["sessionid"].value
            token = api.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
            made.append(Tenant(workspace, emails, token, session))
        yield made[0], made[1]


def _api_emails(base_url: str, tenant: Tenant) -> set[str]:
    response = httpx.get(
        f"{base_url}/api/v1/leads?limit=100",
        headers={"Host": tenant.workspace.primary_host, "Authorization": f"Bearer {tenant.token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {lead["email"] for lead in response.json()["items"]}


def _page_emails(base_url: str, tenant: Tenant, every_email: set[str]) -> set[str]:
    response = httpx.get(
        f"{base_url}/leads/",
        headers={"Host": tenant.workspace.primary_host},
        cookies={"sessionid": tenant.session_cookie},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return {email for email in every_email if email in response.text}


def test_concurrent_requests_for_two_workspaces_through_pgbouncer_see_only_their_own_rows(
    tenants, tmp_path
) -> None:
    alpha, beta = tenants
    every_email = alpha.emails | beta.emails
    database = _settings()["NAME"]
    with ExitStack() as stack:
        bouncer = stack.enter_context(fronted_pgbouncer(pool_size=2))
        env = {
            "DATABASE_URL": f"postgres://{_settings()['USER']}@127.0.0.1:{bouncer.port}/{database}",
            "CRM_DATABASE_POOLER": "pgbouncer-session",
            "CRM_DATABASE_CONNECT_TIMEOUT": "15",
            # gunicorn_app starts one worker; each gets threads, each thread its own connection.
            "GUNICORN_CMD_ARGS": "--threads 6",
        }
        servers = [
            stack.enter_context(gunicorn_app(env, log_path=tmp_path / f"web{n}.log"))
            for n in range(2)
        ]
        plan = [
            (server, tenant, kind)
            for _, server, tenant, kind in zip(
                range(REQUESTS),
                cycle(servers),
                cycle([alpha, beta]),
                cycle(["api"] * 2 + ["page"] * 2),
            )
        ]

        def ask(step: tuple[str, Tenant, str]) -> tuple[Tenant, set[str]]:
            server, tenant, kind = step
            if kind == "api":
                return tenant, _api_emails(server, tenant)
            return tenant, _page_emails(server, tenant, every_email)

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, plan))

        opened = bouncer.server_connections_opened(database)
        logins = bouncer.client_logins(database)

    wrong = [(tenant.workspace.slug, seen) for tenant, seen in answers if seen != tenant.emails]
    assert wrong == []
    assert {tenant.workspace.slug for tenant, _ in answers} == {
        alpha.workspace.slug,
        beta.workspace.slug,
    }
    # Two PostgreSQL connections served every request's own connection to PgBouncer.
    assert 1 <= opened <= 2
    assert logins >= REQUESTS


@contextmanager
def tenant_connection(port: int, schema_name: str) -> Iterator[TenantDatabaseWrapper]:
    """A connection of our database backend (django-tenants) to PgBouncer, in `schema_name`,
    registered under an alias of its own while it lives."""
    alias = f"pgbouncer-{schema_name}"
    connections.settings[alias] = {**_settings(), "HOST": "127.0.0.1", "PORT": port}
    made = connections[alias]
    assert isinstance(made, TenantDatabaseWrapper)
    made.set_schema(schema_name)
    try:
        yield made
    finally:
        made.close()
        del connections[alias]
        del connections.settings[alias]


@pytest.mark.parametrize(
    ("pool_mode", "pool_size", "rows_of"),
    [(None, 2, "alpha"), ("transaction", 1, "beta")],
)
def test_a_set_search_path_from_another_request_between_set_and_query(
    tenants, django_db_blocker, pool_mode, pool_size, rows_of
) -> None:
    alpha, beta = tenants
    with (
        django_db_blocker.unblock(),
        fronted_pgbouncer(pool_mode=pool_mode, pool_size=pool_size) as bouncer,
        tenant_connection(bouncer.port, alpha.workspace.schema_name) as alpha_request,
        tenant_connection(bouncer.port, beta.workspace.schema_name) as beta_request,
    ):
        # What a query of the ORM does: get a cursor (django-tenants sends SET search_path on
        # it, a transaction of its own in autocommit), then run the query on that cursor.
        cursor = alpha_request.cursor()
        beta_request.cursor()  # another request's SET, in between
        cursor.execute("SELECT email FROM crm_lead")
        seen = {email for (email,) in cursor.fetchall()}

    # Session pooling: each client keeps its server connection, so alpha sees alpha's rows.
    # Transaction pooling: both shared one server connection, and alpha read beta's leads.
    assert seen == {"alpha": alpha.emails, "beta": beta.emails}[rows_of]


def test_the_shipped_pgbouncer_ini_pools_sessions_and_pgbouncer_accepts_it() -> None:
    shipped = configparser.ConfigParser()
    shipped.read(ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini")
    settings = dict(shipped["pgbouncer"])
    assert settings["pool_mode"] == "session"
    assert settings["server_reset_query"] == "DISCARD ALL"
    # Every other line of it too, for real: the provider's CA file must exist to start.
    ca_directory = Path(tempfile.mkdtemp(prefix="provider-ca-"))
    try:
        ca_directory.chmod(0o755)
        settings["server_tls_ca_file"] = str(
            make_authority("Provider CA").write(ca_directory / "ca.pem")
        )
        (ca_directory / "ca.pem").chmod(0o644)
        del settings["pidfile"]
        with fronted(settings) as bouncer:
            assert "process up: PgBouncer" in bouncer.log()
    finally:
        shutil.rmtree(ca_directory)


# --- The pooler setting -------------------------------------------------------------------


def test_transaction_pooling_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="pool_mode = session"):
        choose_database_pooler({"CRM_DATABASE_POOLER": "pgbouncer-transaction"})


def test_an_unknown_pooler_is_refused_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="none, pgbouncer-session"):
        choose_database_pooler({"CRM_DATABASE_POOLER": "pgpool"})


def test_behind_pgbouncer_connections_go_back_to_the_pool_after_each_request() -> None:
    assert choose_database_pooler({}) == "none"
    assert database_conn_max_age(pooler="none", testing=False) == 60
    assert database_conn_max_age(pooler="pgbouncer-session", testing=False) == 0


def test_a_production_process_behind_pgbouncer_keeps_no_idle_connection() -> None:
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "a-long-random-production-secret-value-0123456789",
        "DATABASE_URL": "postgres://crm@127.0.0.1:6432/crm",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CRM_BASE_DOMAIN": "crm.example.com",
        "CRM_DATABASE_POOLER": "pgbouncer-session",
        "CRM_FIELD_ENCRYPTION_KEY": "Z2VuZXJhdGVkLWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM=",
    }
    probe = "import django; django.setup(); from django.conf import settings as s; "
    probe += "print(s.DATABASES['default']['CONN_MAX_AGE'])"

    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
