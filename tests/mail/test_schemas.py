"""The mail app is in every schema (each keeps its own outbox), but the pending-send list the
sweep reads exists only in the public schema."""

from __future__ import annotations

from django.db import connection


def tables_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
        )
        return {row[0] for row in cursor.fetchall()}


def test_pending_sends_live_in_public_and_outboxes_everywhere(make_workspace) -> None:
    workspace = make_workspace().workspace

    public, template, tenant = (
        tables_of("public"),
        tables_of("workspace_template"),
        tables_of(workspace.schema_name),
    )

    assert {"mail_pendingsend", "mail_outboxemail"} <= public
    for schema_tables in (template, tenant):
        assert "mail_outboxemail" in schema_tables
        assert "mail_pendingsend" not in schema_tables
    assert "tenants_pendingsend" not in public
    assert "accounts_outboxemail" not in public | tenant
