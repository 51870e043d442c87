"""Restoring ONE workspace from a backup, touching no other.

pg_restore cannot rename a schema, so the workspace's dump goes into a scratch database
first, is renamed there to a scratch schema name and dumped again; that dump is restored
into our database beside the live schemas, migrated forward when the backup is older than
the code, and only then swapped in: one transaction renames the old schema away, the
restored one into its place, drops the old one and writes the public rows. Any failure
before that commit leaves the old schema and rows exactly as they were.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from psycopg import sql

from backups.errors import BackupError, RestoreRefused, WorkspaceNotInBackup
from backups.services import postgres
from backups.services.manifest import Manifest, WorkspaceEntry
from backups.services.public_rows import (
    SavedRows,
    create_copy,
    hosts_of,
    read_public_rows,
    recreate,
    replace_in_place,
)
from backups.services.stores import BackupStore, DirectoryStore, configured_store
from backups.services.taking import fetch_checked, fetch_manifest, resolve_backup
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tenants.selectors.hosts import forget_hosts
from tenants.services.provisioning import SLUG_PATTERN, schema_name_for
from tenants.services.schema_migrations import migrate_schema, schemas_behind

log = structlog.get_logger(__name__)

# pg_advisory_xact_lock key: one schema swap at a time.
RESTORE_LOCK_KEY = 4_204_012


def _quiet(line: str) -> None:
    return None


@dataclass(frozen=True)
class RestoredWorkspace:
    workspace: Workspace
    backup: str
    mode: str  # "replaced", "recreated" or "copied"
    migrated: int  # migrations applied because the backup was older than the code


def store_for(backup: str) -> tuple[BackupStore, str]:
    """A backup named in the configured store ("latest" too), or the path of a backup's own
    directory (its parent is then the store)."""
    path = Path(backup)
    if backup.startswith(("/", ".")) or path.is_dir():
        return DirectoryStore(path.resolve().parent), path.resolve().name
    return configured_store(), backup


def _schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        return cursor.fetchone() is not None


def _check_new_slug(new_slug: str) -> str:
    if not SLUG_PATTERN.match(new_slug) or "--" in new_slug:
        raise BackupError(
            f"'{new_slug}' is not a workspace address: use 3-40 lower-case letters, digits "
            "and single hyphens, not at the start or end."
        )
    if new_slug in settings.CRM_RESERVED_SLUGS:
        raise BackupError(f"'{new_slug}' is reserved; choose another address.")
    schema = schema_name_for(new_slug)
    if Workspace.objects.filter(slug=new_slug).exists() or _schema_exists(schema):
        raise BackupError(f"A workspace '{new_slug}' already exists; choose another address.")
    return schema


def _execute(statement: sql.Composable) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection))


def restore_workspace(
    *,
    slug: str,
    backup: str,
    new_slug: str | None = None,
    confirm: Callable[[str], bool],
    on_progress: Callable[[str], None] = _quiet,
) -> RestoredWorkspace:
    """Restore workspace `slug` from `backup` into its own schema (replacing the existing
    one only if `confirm(question)` says yes), into a database that lacks it, or as a copy
    under `new_slug`. All checks come first; nothing changes unless the whole swap commits.
    Raises BackupError subclasses (not found, incomplete, corrupt, from newer code, not
    confirmed) or PostgresToolFailed."""
    use_public_schema()
    store, name = store_for(backup)
    name = resolve_backup(store, name)
    with tempfile.TemporaryDirectory(prefix="crm-restore-") as temporary:
        work = Path(temporary)
        manifest = fetch_manifest(store, name, work)
        entry = manifest.workspace(slug)
        if entry is None:
            present = ", ".join(w.slug for w in manifest.workspaces) or "none"
            raise WorkspaceNotInBackup(
                f"Backup {name} holds no workspace '{slug}' (it holds: {present})."
            )
        manifest.check_migrations_known(["public", entry.schema])
        on_progress(f"backup {name}: checking {entry.dump} and {entry.public_rows}")
        dump = fetch_checked(store, manifest, entry.dump, work)
        saved = read_public_rows(
            fetch_checked(store, manifest, entry.public_rows, work).read_text()
        )
        postgres.list_dump(dump)

        existing = None if new_slug else Workspace.objects.filter(slug=slug).first()
        if new_slug:
            target_schema, mode = _check_new_slug(new_slug), "copied"
        elif existing is not None:
            target_schema, mode = existing.schema_name, "replaced"
            question = (
                f"Replace workspace '{slug}' (schema {target_schema}) with its state in backup "
                f"{name}? Every change made since is lost."
            )
            if not confirm(question):
                raise RestoreRefused()
        else:
            target_schema, mode = entry.schema, "recreated"
            if _schema_exists(target_schema):
                raise BackupError(
                    f"Schema {target_schema} exists but no workspace '{slug}' uses it; drop it "
                    "or restore as a copy (--as new-slug). Nothing was changed."
                )

        scratch = f"restore_{uuid.uuid4().hex[:12]}"
        try:
            migrated = _stage(dump, entry, scratch, work, manifest, on_progress)
            on_progress(f"swapping {scratch} in as {target_schema}")
            workspace = _swap(saved, scratch, target_schema, existing=existing, new_slug=new_slug)
            hosts = hosts_of(workspace)
        finally:
            use_public_schema()
            _execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(scratch)))
    forget_hosts(hosts)
    log.info("workspace_restored", slug=workspace.slug, backup=name, mode=mode, migrated=migrated)
    on_progress(f"workspace {workspace.slug} {mode} from backup {name} ({', '.join(hosts)})")
    return RestoredWorkspace(workspace, name, mode, migrated)


def _swap(
    saved: SavedRows,
    scratch: str,
    target_schema: str,
    *,
    existing: Workspace | None,
    new_slug: str | None,
) -> Workspace:
    """ONE transaction: the restored schema takes its place and the public rows are written;
    on any failure PostgreSQL rolls the renames back with the rest."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RESTORE_LOCK_KEY])
            if existing is not None:
                replaced = f"replaced_{uuid.uuid4().hex[:12]}"
                _rename(target_schema, replaced)
                _rename(scratch, target_schema)
                _execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(replaced)))
                replace_in_place(saved, workspace=existing)
                return existing
            if new_slug:
                workspace = create_copy(saved, slug=new_slug, schema_name=target_schema)
            else:
                workspace = recreate(saved)
            _rename(scratch, target_schema)
            return workspace
    except DatabaseError as error:
        raise BackupError(
            f"The swap failed ({str(error).strip()}); it was rolled back, so the workspace "
            "and its rows are as they were."
        ) from None


def _rename(old: str, new: str) -> None:
    _execute(
        sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _stage(
    dump: Path,
    entry: WorkspaceEntry,
    scratch: str,
    work: Path,
    manifest: Manifest,
    on_progress: Callable[[str], None],
) -> int:
    """The backup's schema restored into our database as `scratch`, migrated to the code."""
    on_progress("restoring into a scratch database")
    renamed = work / "renamed.dump"
    with postgres.scratch_database(work) as scratch_db:
        postgres.restore_dump(dump, database=scratch_db)
        postgres.rename_schema(database=scratch_db, old=entry.schema, new=scratch)
        postgres.dump_schema(renamed, schema=scratch, database=scratch_db, snapshot=None)
    on_progress(f"restoring as schema {scratch} beside the live ones")
    postgres.restore_dump(renamed, database=postgres.database_name())
    if not schemas_behind([scratch]):
        return 0
    on_progress(f"migrating {scratch} from the backup's state to the code's")
    result = migrate_schema(scratch)
    if result.error:
        raise BackupError(
            f"The restored schema could not be migrated to this code ({result.error}); "
            "nothing was changed."
        )
    return result.applied
