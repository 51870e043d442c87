"""manage.py backup and restore_workspace on the real PostgreSQL, with real pg_dump and
pg_restore, into a directory and into S3 (moto's server on a loopback port): one workspace
comes back row for row, in place after confirmation, into a fresh database or as a copy
that serves at its own subdomain, and no other workspace is touched."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from moto.server import ThreadedMotoServer
from psycopg import sql

from backups.services import configured_store, list_backups, take_backup
from billing.models import BillingAccount
from tenants.models import Domain, MemberAddress, Workspace
from tenants.schemas import use_public_schema
from tenants.services.provisioning import create_workspace
from tenants.services.schema_migrations import migrate_schema, schemas_behind
from tests.support.clients import OWNER_PASSWORD, bearer_client, post
from tests.support.servers import ROOT, free_port
from tests.support.workers import worker_env
from tests.tenants.test_migrate_workspaces import forget_last_migration, has_last_migration

# --- helpers -------------------------------------------------------------------------------


def database_url(name: str) -> str:
    settings_dict = connection.settings_dict
    return (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{name}"
    )


def rows_of(schema: str, database: str | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of `schema`, table by table, in a stable order."""
    with psycopg.connect(database_url(database or connection.settings_dict["NAME"])) as other:
        tables = [
            row[0]
            for row in other.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE' ORDER BY table_name",
                [schema],
            ).fetchall()
        ]
        found: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            counted = other.execute(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                [schema, table],
            ).fetchone()
            columns = int(counted[0]) if counted else 0
            order = sql.SQL(", ").join(sql.Literal(i) for i in range(1, columns + 1))
            statement = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
                sql.Identifier(schema, table), order
            )
            found[table] = list(other.execute(statement))
        return found


def schemas_named(prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [prefix + "%"])
        return [row[0] for row in cursor.fetchall()]


def lead_emails(workspace: Workspace) -> list[str]:
    client = bearer_client(workspace, f"owner@{workspace.slug}.example")
    use_public_schema()
    response = client.get("/api/v1/leads?limit=100")
    use_public_schema()
    assert response.status_code == 200, response.content
    return sorted(item["email"] for item in response.json()["items"])


def add_lead(workspace: Workspace, email: str, *, owner_slug: str | None = None) -> None:
    """A lead made through the API by the owner (whose address names the original slug)."""
    client = bearer_client(workspace, f"owner@{owner_slug or workspace.slug}.example")
    response = post(client, "/api/v1/leads", {"email": email, "first_name": email[:3]})
    use_public_schema()
    assert response.status_code == 201, response.content


def admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(database_url("postgres"), autocommit=True)


def manage(*arguments: str, database: str | None = None, stdin: str = "", **env: str):
    extra = {"DATABASE_URL": database_url(database)} if database else {}
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=worker_env(**extra, **env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- fixtures ------------------------------------------------------------------------------


class CommittedWorkspaces:
    """Makes workspaces whose rows are committed (pg_dump runs in its own process) and
    remembers them, and the copies a test restores, to drop them afterwards."""

    def __init__(self) -> None:
        self.slugs: list[str] = []

    def __call__(self, prefix: str, leads: int = 0) -> Workspace:
        use_public_schema()
        slug = self.adopt(f"{prefix}-{uuid.uuid4().hex[:6]}")
        workspace = create_workspace(
            name=f"Workspace {prefix}",
            slug=slug,
            owner_email=f"owner@{slug}.example",
            owner_password=OWNER_PASSWORD,
        )
        for number in range(leads):
            add_lead(workspace, f"lead{number}@{slug}.example")
        return workspace

    def adopt(self, slug: str) -> str:
        self.slugs.append(slug)
        return slug

    def drop_all(self) -> None:
        use_public_schema()
        for workspace in Workspace.objects.filter(slug__in=self.slugs):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{workspace.schema_name}" CASCADE')
            workspace.delete()


@pytest.fixture
def committed(django_db_blocker) -> Iterator[CommittedWorkspaces]:
    workspaces = CommittedWorkspaces()
    with django_db_blocker.unblock():
        try:
            yield workspaces
        finally:
            workspaces.drop_all()


@pytest.fixture
def backup_dir(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "backups"
    with override_settings(CRM_BACKUP_DIR=str(root), CRM_BACKUP_URL=""):
        yield root


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, object]]:
    """moto's S3 server on a free loopback port, the app pointed at a new bucket in it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    bucket = f"backups-{uuid.uuid4().hex[:8]}"  # moto keeps its buckets for the process
    client.create_bucket(Bucket=bucket)
    try:
        with override_settings(
            CRM_BACKUP_URL=f"s3://{bucket}/crm", CRM_BACKUP_S3_ENDPOINT_URL=endpoint
        ):
            yield endpoint, client
    finally:
        server.stop()


@pytest.fixture
def fresh_database(django_db_blocker) -> Iterator[str]:
    """A new, empty database migrated by `manage.py migrate_workspaces`, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_fresh"
    with django_db_blocker.unblock(), admin_connection() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            migrated = manage("migrate_workspaces", database=name)
            assert migrated.returncode == 0, migrated.stderr
            yield name
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- tests ---------------------------------------------------------------------------------


def test_a_workspace_restored_into_a_fresh_database_has_every_row_and_no_other_changes(
    committed, backup_dir, fresh_database, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha = committed("alpha", leads=3)
        call_command("backup")
        (stored,) = list_backups()
        assert stored.complete
        expected = rows_of(alpha.schema_name)
        assert len(expected["crm_lead"]) == 3 and len(expected["accounts_user"]) == 1

        made = manage(
            "create_workspace", "other", "--name", "Other", "--owner-email",
            "owner@other.example", "--owner-password", OWNER_PASSWORD, database=fresh_database,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        other_before = rows_of("ws_other", fresh_database)

        restored = manage(
            "restore_workspace", alpha.slug, str(backup_dir / stored.name), database=fresh_database
        )

        assert restored.returncode == 0, restored.stderr
        assert f"{alpha.slug} recreated" in restored.stdout
        assert rows_of(alpha.schema_name, fresh_database) == expected
        assert rows_of("ws_other", fresh_database) == other_before
        with psycopg.connect(database_url(fresh_database)) as fresh:
            public = fresh.execute(
                "SELECT w.name, w.schema_name, d.domain, "
                "(SELECT count(*) FROM tenants_memberaddress m WHERE m.workspace_id = w.id), "
                "(SELECT count(*) FROM billing_billingaccount b WHERE b.workspace_id = w.id) "
                "FROM tenants_workspace w JOIN tenants_domain d ON d.tenant_id = w.id "
                "WHERE w.slug = %s",
                [alpha.slug],
            ).fetchall()
        assert public == [(alpha.name, alpha.schema_name, alpha.primary_host, 1, 1)]


def test_restoring_over_a_workspace_needs_confirmation_and_replaces_only_that_one(
    committed, backup_dir, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha, beta = committed("alpha", leads=2), committed("beta", leads=1)
        taken = take_backup()
        at_backup = rows_of(alpha.schema_name)
        add_lead(alpha, "after@alpha.example")
        add_lead(beta, "after@beta.example")
        alpha_now, beta_now = rows_of(alpha.schema_name), rows_of(beta.schema_name)

        refused = manage("restore_workspace", alpha.slug, taken.name, stdin="n\n",
                         CRM_BACKUP_DIR=str(backup_dir))  # fmt: skip
        assert refused.returncode != 0
        assert "Replace workspace" in refused.stdout
        assert "not confirmed; nothing changed" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert rows_of(alpha.schema_name) == alpha_now

        call_command("restore_workspace", alpha.slug, taken.name, yes=True)

        assert rows_of(alpha.schema_name) == at_backup
        assert rows_of(beta.schema_name) == beta_now
        assert "after@alpha.example" not in lead_emails(alpha)
        assert "after@beta.example" in lead_emails(beta)
        assert schemas_named("restore_") == [] and schemas_named("replaced_") == []


def test_a_copy_under_a_new_slug_serves_at_its_own_subdomain_from_s3(
    committed, s3_bucket, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha = committed("alpha", leads=2)
        BillingAccount.objects.filter(workspace=alpha).update(stripe_customer_id="cus_alpha")
        taken = take_backup()
        copy_slug = committed.adopt(f"copy-{alpha.slug}")
        assert Client(HTTP_HOST=f"{copy_slug}.localhost").get("/login/").status_code == 404
        use_public_schema()  # (and the unknown host is now cached as such)

        call_command("restore_workspace", alpha.slug, taken.name, "--as", copy_slug)

        copy = Workspace.objects.get(slug=copy_slug)
        assert list(Domain.objects.filter(tenant=copy).values_list("domain", flat=True)) == [
            f"{copy_slug}.localhost"
        ]
        assert BillingAccount.objects.get(workspace=copy).stripe_customer_id is None
        assert MemberAddress.objects.filter(workspace=copy).count() == 1
        page = Client(HTTP_HOST=copy.primary_host)
        signed_in = page.post("/login/", {"email": f"owner@{alpha.slug}.example",
                                          "password": OWNER_PASSWORD})  # fmt: skip
        assert signed_in.status_code == 302, signed_in.content
        leads_page = page.get("/leads/")
        use_public_schema()
        assert leads_page.status_code == 200
        assert f"lead0@{alpha.slug}.example" in leads_page.content.decode()
        original_leads = lead_emails(alpha)
        copied_client = bearer_client(copy, f"owner@{alpha.slug}.example")
        use_public_schema()
        assert (
            sorted(item["email"] for item in copied_client.get("/api/v1/leads").json()["items"])
            == original_leads
        )

        add_lead(copy, "only@copy.example", owner_slug=alpha.slug)
        add_lead(alpha, "only@original.example")
        copied = sorted(i["email"] for i in copied_client.get("/api/v1/leads").json()["items"])
        use_public_schema()
        assert "only@copy.example" in copied and "only@original.example" not in copied
        assert "only@copy.example" not in lead_emails(alpha)
        assert "only@original.example" in lead_emails(alpha)


def test_a_backup_from_newer_code_or_with_a_damaged_file_is_refused_and_nothing_changes(
    committed, backup_dir, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha = committed("alpha", leads=1)
        schema = alpha.schema_name
        with connection.cursor() as cursor:  # the state a release with one more migration left
            cursor.execute(
                f'INSERT INTO "{schema}".django_migrations (app, name, applied) '
                "VALUES ('crm', '9999_from_a_newer_release', now())"
            )
        newer = take_backup(now=datetime.now(UTC) - timedelta(minutes=1))
        with connection.cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{schema}".django_migrations WHERE name = %s',
                ["9999_from_a_newer_release"],
            )
        before = rows_of(schema)

        with pytest.raises(CommandError, match=r"crm\.9999_from_a_newer_release") as refused:
            call_command("restore_workspace", alpha.slug, newer.name, yes=True)
        assert "nothing was changed" in str(refused.value)
        assert rows_of(schema) == before

        current = take_backup()
        dump = backup_dir / current.name / "schemas" / f"{schema}.dump"
        dump.write_bytes(dump.read_bytes() + b"\0")
        with pytest.raises(CommandError, match="does not match its manifest"):
            call_command("restore_workspace", alpha.slug, current.name, yes=True)
        with pytest.raises(CommandError, match="does not match its manifest"):
            call_command("backup", verify=current.name)
        (backup_dir / current.name / "manifest.json").unlink()
        with pytest.raises(CommandError, match="has no manifest"):
            call_command("restore_workspace", alpha.slug, current.name, yes=True)
        output = StringIO()
        call_command("backup", verify="latest", stdout=output)  # the newest COMPLETE one
        assert f"backup {newer.name}:" in output.getvalue()
        with pytest.raises(CommandError, match="holds no workspace 'nobody'"):
            call_command("restore_workspace", "nobody", newer.name, yes=True)
        with pytest.raises(CommandError, match="There is no backup 'nonsense'"):
            call_command("restore_workspace", alpha.slug, "nonsense", yes=True)
        assert rows_of(schema) == before
        assert schemas_named("restore_") == []


@pytest.mark.parametrize("store", ["directory", "s3"])
def test_retention_prunes_old_and_abandoned_backups_and_keeps_the_rest(
    store, committed, request, django_db_blocker, capsys
) -> None:
    request.getfixturevalue("backup_dir" if store == "directory" else "s3_bucket")
    now = datetime.now(UTC)
    with django_db_blocker.unblock():
        committed("alpha")
        recent = take_backup(now=now - timedelta(days=3)).name
        old = take_backup(now=now - timedelta(days=20)).name  # its own pruning keeps it
        abandoned = (now - timedelta(days=2)).strftime("%Y%m%dT%H%M%SZ")
        _leave_incomplete(abandoned, copy_of=recent)
        assert {b.name: b.complete for b in list_backups()} == {
            old: True, abandoned: False, recent: True,
        }  # fmt: skip

        call_command("backup")

        out = capsys.readouterr().out
        names = [b.name for b in list_backups()]
        assert old not in names and abandoned not in names
        assert recent in names and len(names) == 2
        assert f"pruned {old}" in out and f"pruned {abandoned}" in out
        call_command("backup", verify="latest")
        verified = capsys.readouterr().out
        assert "files match the manifest" in verified
        assert "ok full.dump" in verified and "ok schemas/" in verified


def _leave_incomplete(name: str, *, copy_of: str) -> None:
    """A backup that stopped before its manifest: a file, no manifest."""
    store = configured_store()
    with tempfile.TemporaryDirectory() as temporary:
        target = Path(temporary) / "full.dump"
        store.get(backup=copy_of, relative="full.dump", target=target)
        store.put(target, backup=name, relative="full.dump")


def test_a_backup_older_than_the_code_is_migrated_forward_as_it_is_restored(
    committed, backup_dir, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha = committed("alpha", leads=2)
        schema = alpha.schema_name
        forget_last_migration(schema)  # as the release before the last one left it
        older = take_backup()
        assert migrate_schema(schema).applied == 1
        leads_before = lead_emails(alpha)
        output = StringIO()

        call_command("restore_workspace", alpha.slug, older.name, yes=True, stdout=output)

        assert "from the backup's state to the code's" in output.getvalue()
        assert has_last_migration(schema)
        assert schemas_behind([schema]) == []
        assert lead_emails(alpha) == leads_before


def test_a_failure_inside_the_swap_rolls_back_to_the_old_schema_and_rows(
    committed, backup_dir, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha, beta = committed("alpha", leads=1), committed("beta", leads=1)
        taken = take_backup()
        add_lead(alpha, "after@alpha.example")
        alpha_now, beta_now = rows_of(alpha.schema_name), rows_of(beta.schema_name)
        directory_now = list(MemberAddress.objects.filter(workspace=alpha).values())
        with connection.cursor() as cursor:  # the public rows' write fails, after the renames
            cursor.execute(FAILING_TRIGGER, [alpha.pk])
        try:
            with pytest.raises(CommandError, match=r"rolled back.*as they were") as failed:
                call_command("restore_workspace", alpha.slug, taken.name, yes=True)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(DROP_FAILING_TRIGGER)

        assert "simulated failure" in str(failed.value)
        assert rows_of(alpha.schema_name) == alpha_now
        assert rows_of(beta.schema_name) == beta_now
        assert list(MemberAddress.objects.filter(workspace=alpha).values()) == directory_now
        assert schemas_named("restore_") == [] and schemas_named("replaced_") == []
        assert "after@alpha.example" in lead_emails(alpha)


FAILING_TRIGGER = """
CREATE FUNCTION public.test_refuse_member_address() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'simulated failure'; END $$;
CREATE TRIGGER test_refuse_member_address BEFORE INSERT ON public.tenants_memberaddress
    FOR EACH ROW WHEN (NEW.workspace_id = %s) EXECUTE FUNCTION public.test_refuse_member_address();
"""
DROP_FAILING_TRIGGER = """
DROP TRIGGER IF EXISTS test_refuse_member_address ON public.tenants_memberaddress;
DROP FUNCTION IF EXISTS public.test_refuse_member_address();
"""


def test_a_wrong_destination_or_slug_is_a_clear_error_and_writes_no_backup(
    committed, backup_dir, s3_bucket, django_db_blocker
) -> None:
    with django_db_blocker.unblock():
        alpha = committed("alpha")
        for destination, message in [
            ({"CRM_BACKUP_URL": "ftp://backups/crm"}, "not an s3://bucket/prefix address"),
            ({"CRM_BACKUP_URL": "s3://no-such-bucket/crm"}, r"S3 \(s3://no-such-bucket/crm\)"),
            (
                {"CRM_BACKUP_URL": "", "CRM_BACKUP_DIR": "/proc/no-backups-here"},
                "Cannot write to /proc/no-backups-here",
            ),
        ]:
            with override_settings(**destination), pytest.raises(CommandError, match=message):
                call_command("backup")
        taken = take_backup()
        with pytest.raises(CommandError, match="already exists; choose another"):
            call_command("restore_workspace", alpha.slug, taken.name, "--as", alpha.slug)
        with pytest.raises(CommandError, match="is not a workspace address"):
            call_command("restore_workspace", alpha.slug, taken.name, "--as", "Not A Slug")
        with (
            override_settings(CRM_PG_BIN="/nonexistent/bin"),
            pytest.raises(CommandError, match=r"pg_dump was not found \(in /nonexistent/bin\)"),
        ):
            call_command("backup")
        assert [b.name for b in list_backups() if b.complete] == [taken.name]


def test_a_database_too_big_for_the_lock_table_is_refused_before_anything_is_written(
    tmp_path: Path, django_db_blocker
) -> None:
    """pg_dump of the whole database holds a lock per table and sequence; past PostgreSQL's
    lock table it fails half way ("out of shared memory"). The backup says what to set."""
    name = f"{connection.settings_dict['NAME']}_locks"
    with django_db_blocker.unblock(), admin_connection() as admin:
        slots = admin.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * "
            "(current_setting('max_connections')::int "
            "+ current_setting('max_prepared_transactions')::int)"
        ).fetchone()
        assert slots is not None
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            with psycopg.connect(database_url(name), autocommit=True) as crowded:
                crowded.execute(FILL_TABLES)
                crowded.execute("CALL fill(%s)", [int(slots[0]) + 100])
            refused = manage("backup", database=name, CRM_BACKUP_DIR=str(tmp_path / "store"))
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))

    assert refused.returncode == 1
    assert "Set max_locks_per_transaction to" in refused.stderr
    assert "Nothing was stored" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "store").exists()


# Many empty tables, committed 500 at a time (one transaction cannot lock them all either).
FILL_TABLES = """
CREATE SCHEMA crowd;
CREATE PROCEDURE fill(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..n LOOP
        EXECUTE format('CREATE TABLE crowd.t%s ()', i);
        IF i % 500 = 0 THEN COMMIT; END IF;
    END LOOP;
END $$;
"""
