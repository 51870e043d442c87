"""The template schema that new workspaces are cloned from.

Creating a workspace copies this schema (tables, indexes, sequences and the rows of
django_migrations, contenttypes and permissions) instead of replaying every migration,
so creation time does not grow with the number of migrations. The template is rebuilt
when it is missing or behind the migration files: provisioning checks that itself, and
`manage.py refresh_workspace_template` does it eagerly after deploys (`make run` too).
"""

from __future__ import annotations

from functools import cache

import structlog
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from tenants.schemas import use_public_schema

log = structlog.get_logger(__name__)

# pg_advisory_xact_lock key: one template refresh at a time across every process.
TEMPLATE_LOCK_KEY = 4_204_001


def template_schema() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


@cache
def expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk; files do not change while a process runs."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def applied_template_migrations() -> set[tuple[str, str]] | None:
    """The template's applied migrations, or None when it has no migration table."""
    schema = template_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return set(cursor.fetchall())


def template_is_current() -> bool:
    applied = applied_template_migrations()
    return applied is not None and expected_migrations() <= applied


def refresh_template() -> bool:
    """Rebuild the template schema when missing or behind the migrations; True if it changed.

    Safe to call from several processes at once: they queue on an advisory lock and the
    later ones find the template current.
    """
    schema = template_schema()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK_KEY])
        changed = False
        if not template_is_current():
            # Rebuilt from nothing rather than migrated forward: it holds no data worth
            # keeping, and a template that drifted (a hand edit, a squashed migration)
            # cannot be trusted to migrate cleanly.
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                cursor.execute(f'CREATE SCHEMA "{schema}"')
            call_command(
                "migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0
            )
            changed = True
        use_public_schema()
    if changed:
        log.info("workspace_template_refreshed", schema=schema)
    return changed


def ensure_template() -> None:
    if not template_is_current():
        refresh_template()


def clone_template(schema_name: str) -> None:
    """Create `schema_name` as a copy of the template, structure and reference rows."""
    use_public_schema()
    with connection.cursor() as cursor:
        # public.crm_clone_schema comes from migration tenants.0004.
        cursor.execute("SELECT public.crm_clone_schema(%s, %s)", [template_schema(), schema_name])


def migrate_new_schema(schema_name: str) -> None:
    """Create `schema_name` by running every tenant migration (the slow path; benchmarks)."""
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command(
        "migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0
    )
    use_public_schema()
