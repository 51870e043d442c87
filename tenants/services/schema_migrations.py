"""Migrations at scale: find the workspace schemas that are behind the migration files with
one query, and migrate only those, in parallel, resumably.

django-tenants' `migrate_schemas` loads the migration graph and walks every schema, so with
nothing pending it still spends a third of a second per workspace. Here one statement reads
every schema's `django_migrations` against the files on disk; only schemas missing a
migration are migrated, each by a process of a bounded pool that loads the graph once. Every
migration is recorded in the schema's own `django_migrations` in the same transaction as its
change (Django's executor does so for atomic migrations), so an interrupted run is finished
by running again and nothing is applied twice.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

import structlog
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import (
    AlterModelOptions,
    CreateModel,
    DeleteModel,
    RenameModel,
)
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from psycopg import sql

from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tenants.services.template import expected_migrations, refresh_template

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SchemaResult:
    schema: str
    error: str = ""  # empty when it migrated
    applied: int = 0
    seconds: float = 0.0


@dataclass
class MigrationRun:
    total_schemas: int
    behind: list[str]
    results: list[SchemaResult] = field(default_factory=list)
    template_rebuilt: bool = False
    public_migrated: bool = False
    seconds: float = 0.0

    @property
    def failures(self) -> list[SchemaResult]:
        return [result for result in self.results if result.error]


def workspace_schemas() -> list[str]:
    """Every customer workspace's schema (not the public one, not the template)."""
    use_public_schema()
    return list(
        Workspace.objects.exclude(schema_name="public")
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def schemas_behind(schemas: Sequence[str]) -> list[str]:
    """The schemas among `schemas` whose django_migrations lacks a migration on disk (or
    that have none), read in ONE statement whatever their number."""
    if not schemas:
        return []
    expected = sorted(expected_migrations())
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)",
            [list(schemas)],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        counted = [schema for schema in schemas if schema in with_table]
        found: dict[str, int] = {}
        if counted:
            per_schema = sql.SQL(" UNION ALL ").join(
                sql.SQL(
                    "SELECT {name}::text, (SELECT count(*) FROM {table} m "
                    "JOIN expected e ON e.app = m.app AND e.name = m.name)"
                ).format(
                    name=sql.Literal(schema),
                    table=sql.Identifier(schema, "django_migrations"),
                )
                for schema in counted
            )
            statement = (
                sql.SQL(
                    "WITH expected(app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[])) "
                )
                + per_schema
            )
            cursor.execute(
                statement.as_string(cursor.connection),
                [[app for app, _ in expected], [name for _, name in expected]],
            )
            found = {schema: count for schema, count in cursor.fetchall()}
    return [schema for schema in schemas if found.get(schema, 0) < len(expected)]


def public_is_behind() -> bool:
    use_public_schema()
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return True
    return not expected_migrations() <= set(recorder.applied_migrations())


class _SchemaExecutor(MigrationExecutor):
    """Django's executor for one schema, with the migration graph read from the files once
    per process and the schema's applied migrations read directly. Django's own
    `MigrationRecorder.has_table` lists every table on the search path, about 50 ms a call
    once the catalog holds 1,000 schemas, and the executor asks it several times."""

    def __init__(self, tenant_connection: Any, graph_loader: MigrationLoader) -> None:
        self.connection = tenant_connection
        self.progress_callback = None
        recorder: Any = MigrationRecorder(tenant_connection)
        recorder._has_table = True  # checked (or made) by migrate_schema, just before
        self.recorder = recorder
        self.loader = graph_loader
        self.loader.connection = tenant_connection
        self.loader.applied_migrations = cast(Any, recorder.applied_migrations())

    def _create_project_state(self, with_applied_migrations: bool = False) -> ProjectState:
        # Schemas behind by the same migrations start from the same state: render it once
        # per process and hand each schema a copy (rendering is most of the CPU per schema).
        key = frozenset(self.loader.applied_migrations) if with_applied_migrations else None
        state = _STATES.get(key)
        if state is None:
            state = super()._create_project_state(with_applied_migrations)  # type: ignore[misc]  # private in the stubs
            state.apps  # noqa: B018 - rendered now, so that each copy is cheap
            _STATES[key] = state
        return state.clone()


_STATES: dict[frozenset[tuple[str, str]] | None, ProjectState] = {}
# Operations after which the content types and permissions of a schema may change; any
# other migration (a column, an index) needs no post_migrate round.
MODEL_OPERATIONS = (CreateModel, DeleteModel, RenameModel, AlterModelOptions)


def _changes_models(plan: list[tuple[Any, bool]]) -> bool:
    return any(
        isinstance(operation, MODEL_OPERATIONS)
        for migration, _ in plan
        for operation in migration.operations
    )


@cache
def _graph_loader() -> MigrationLoader:
    """The migration graph from the files, once per process (they do not change)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def _ensure_migration_table(tenant_connection: Any, schema_name: str) -> None:
    with tenant_connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema_name}".django_migrations'])
        if cursor.fetchone()[0] is not None:
            return
    tenant_connection.set_schema(schema_name, include_public=False)
    MigrationRecorder(tenant_connection).ensure_schema()


def migrate_schema(schema_name: str) -> SchemaResult:
    """Apply what `schema_name` lacks, in this process; never raises (the error is the
    result). Each migration commits with its record, so a failure keeps the ones before."""
    started = time.perf_counter()
    tenant_connection: Any = connection  # django-tenants' wrapper on the default alias
    try:
        _ensure_migration_table(tenant_connection, schema_name)
        tenant_connection.set_schema(schema_name)
        executor = _SchemaExecutor(tenant_connection, _graph_loader())
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        if plan:
            state = executor.migrate(targets, plan=plan)
            if _changes_models(plan):
                emit_post_migrate_signal(
                    0, False, tenant_connection.alias, apps=state.apps, plan=plan
                )
        applied = len(plan)
    except Exception as error:
        log.error("workspace_migration_failed", schema=schema_name, error=str(error))
        result = SchemaResult(schema_name, error=f"{type(error).__name__}: {error}")
    else:
        result = SchemaResult(
            schema_name, applied=applied, seconds=round(time.perf_counter() - started, 3)
        )
    finally:
        use_public_schema()
    return result


def _pool_start() -> None:
    # A forked child must not share the parent's database connection.
    connections.close_all()


def migrate_workspaces(
    *,
    processes: int = 2,
    schemas: Iterable[str] | None = None,
    on_progress: Callable[[int, int, SchemaResult], None] | None = None,
) -> MigrationRun:
    """Bring the public schema, every workspace behind the files, and the template up to
    date. Workspaces migrate in `processes` parallel processes (1: in this process); a
    failing schema does not stop the others and is named in the result. Rerunning after an
    interruption migrates only what is still behind."""
    started = time.perf_counter()
    public_migrated = public_is_behind()
    if public_migrated:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    chosen = list(schemas) if schemas is not None else workspace_schemas()
    behind = schemas_behind(chosen)
    run = MigrationRun(total_schemas=len(chosen), behind=behind, public_migrated=public_migrated)
    log.info("workspace_migrations_started", schemas=len(chosen), behind=len(behind))
    if behind and processes > 1:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(min(processes, len(behind)), initializer=_pool_start) as pool:
            for result in pool.imap_unordered(migrate_schema, behind):
                run.results.append(result)
                if on_progress:
                    on_progress(len(run.results), len(behind), result)
    else:
        for schema in behind:
            run.results.append(migrate_schema(schema))
            if on_progress:
                on_progress(len(run.results), len(behind), run.results[-1])
    run.template_rebuilt = refresh_template()
    run.seconds = round(time.perf_counter() - started, 3)
    log.info(
        "workspace_migrations_finished",
        behind=len(behind),
        failed=len(run.failures),
        seconds=run.seconds,
    )
    return run
