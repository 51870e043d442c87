"""manage.py migrate_workspaces: one query finds the schemas behind the migration files;
only those are migrated, a failing one does not stop the others but fails the command with
its name, and running again finishes what is left without applying anything twice."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.schemas import use_public_schema
from tenants.services.schema_migrations import migrate_workspaces, schemas_behind
from tests.support.workers import committed_workspace

LAST = ("payments", "0003_stripe_prices")


def forget_last_migration(schema: str, *, undo_it: bool = True) -> None:
    """Put `schema` one migration behind: its record gone and (with `undo_it`) its table,
    as if the release that added it had not reached this schema yet."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', LAST
        )
        if undo_it:
            cursor.execute(f'DROP TABLE "{schema}".payments_stripeprice')


def has_last_migration(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
            LAST,
        )
        recorded = cursor.fetchone()[0] == 1
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".payments_stripeprice'])
        return recorded and cursor.fetchone()[0] is not None


@pytest.mark.django_db
def test_only_the_schema_behind_is_found_and_migrated(two_workspaces) -> None:
    alpha, beta = (fixture.workspace.schema_name for fixture in two_workspaces)
    use_public_schema()
    assert schemas_behind([alpha, beta]) == []

    forget_last_migration(alpha)
    assert schemas_behind([alpha, beta]) == [alpha]
    run = migrate_workspaces(processes=1, schemas=[alpha, beta])

    assert [(result.schema, result.applied, result.error) for result in run.results] == [
        (alpha, 1, "")
    ]
    assert has_last_migration(alpha) and has_last_migration(beta)
    assert schemas_behind([alpha, beta]) == []  # a second run has nothing to do


@pytest.mark.django_db
def test_a_failing_schema_fails_the_command_by_name_and_the_rerun_finishes_it(
    two_workspaces,
) -> None:
    alpha, beta = (fixture.workspace.schema_name for fixture in two_workspaces)
    use_public_schema()
    forget_last_migration(alpha)
    forget_last_migration(beta, undo_it=False)  # its table is in the way: CREATE TABLE fails

    with pytest.raises(CommandError, match=f"failed to migrate: {beta}") as refused:
        call_command("migrate_workspaces", processes=1)

    assert "The others are done" in str(refused.value)
    assert has_last_migration(alpha)
    assert schemas_behind([alpha, beta]) == [beta]
    with connection.cursor() as cursor:  # the cause fixed
        cursor.execute(f'DROP TABLE "{beta}".payments_stripeprice')
    run = migrate_workspaces(processes=1, schemas=[alpha, beta])
    assert [result.schema for result in run.results] == [beta]  # alpha is not touched again
    assert has_last_migration(beta)


def test_a_pool_of_processes_migrates_committed_schemas(django_db_blocker) -> None:
    with (
        committed_workspace(django_db_blocker, prefix="mig", name="Migrating A") as first,
        committed_workspace(django_db_blocker, prefix="mig", name="Migrating B") as second,
        committed_workspace(django_db_blocker, prefix="mig", name="Current C") as third,
    ):
        schemas = [first.schema_name, second.schema_name, third.schema_name]
        with django_db_blocker.unblock():
            use_public_schema()
            forget_last_migration(first.schema_name)
            forget_last_migration(second.schema_name)
            seen: list[tuple[int, int]] = []

            run = migrate_workspaces(
                processes=2,
                schemas=schemas,
                on_progress=lambda done, total, result: seen.append((done, total)),
            )

            assert sorted(result.schema for result in run.results) == sorted(schemas[:2])
            assert not run.failures
            assert seen == [(1, 2), (2, 2)]
            assert all(has_last_migration(schema) for schema in schemas)
            assert schemas_behind(schemas) == []
