"""Taking a backup, listing and verifying backups, and pruning old ones."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction

from backups.errors import BackupError, BackupIncomplete, BackupNotFound
from backups.services import postgres
from backups.services.manifest import (
    FULL_DUMP,
    Manifest,
    WorkspaceEntry,
    code_leaf_nodes,
    file_digest,
    recorded_migrations,
)
from backups.services.public_rows import serialize_public_rows
from backups.services.stores import (
    MANIFEST,
    NAME_FORMAT,
    BackupStore,
    DirectoryStore,
    StoredBackup,
    configured_store,
)
from tenants.models import Workspace
from tenants.schemas import use_public_schema

log = structlog.get_logger(__name__)

Progress = Callable[[str], None]
# A backup without a manifest this old is not running any more: it failed, prune it.
ABANDONED_AFTER = timedelta(hours=24)


def _quiet(line: str) -> None:
    return None


@dataclass(frozen=True)
class BackupTaken:
    name: str
    location: str
    workspaces: int
    bytes: int
    seconds: float
    pruned: list[str]


def take_backup(
    *, store: BackupStore | None = None, on_progress: Progress = _quiet, now: datetime | None = None
) -> BackupTaken:
    """Dump the whole database and each workspace schema from ONE snapshot, with each
    workspace's public rows and every schema's migration state; verify every dump by listing
    it; write the manifest last; then prune. Raises BackupError (nothing counts as a backup
    until its manifest is stored) or PostgresToolFailed."""
    if connection.in_atomic_block:
        raise BackupError("take_backup must run outside a transaction (pg_dump sees commits).")
    store = store or configured_store()
    use_public_schema()
    postgres.check_lock_capacity()
    started = datetime.now(UTC)
    name = (now or started).strftime(NAME_FORMAT)
    manifest = Manifest(
        name=name,
        created_at=(now or started).isoformat(),
        database=postgres.database_name(),
        migration_leaves=code_leaf_nodes(),
    )
    on_progress(f"backup {name} to {store.location}")
    with _work_dir(store, name) as work:

        def keep(relative: str, *, dump: bool) -> tuple[str, dict[str, Any]]:
            path = work / relative
            if dump:
                postgres.list_dump(path)  # a dump that cannot be listed is not a backup
            digest = file_digest(path)
            store.put(path, backup=name, relative=relative)
            return relative, digest

        def dump_whole(snapshot: str) -> tuple[str, dict[str, Any]]:
            postgres.dump_database(work / FULL_DUMP, snapshot=snapshot)
            return keep(FULL_DUMP, dump=True)

        def dump_one(entry: WorkspaceEntry, snapshot: str) -> tuple[str, dict[str, Any]]:
            postgres.dump_schema(work / entry.dump, schema=entry.schema, snapshot=snapshot)
            return keep(entry.dump, dump=True)

        (work / "schemas").mkdir(parents=True, exist_ok=True)
        (work / "workspaces").mkdir(parents=True, exist_ok=True)
        use_public_schema()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # One snapshot for every file: the dumps and the public rows agree.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = str(cursor.fetchone()[0])
            workspaces = list(Workspace.objects.exclude(schema_name="public").order_by("slug"))
            manifest.migrations["public"] = recorded_migrations("public")
            # pg_dump runs in CRM_BACKUP_JOBS processes at once, all on the snapshot; the
            # ORM reads stay in this thread, on the connection that holds it.
            with ThreadPoolExecutor(max_workers=max(1, settings.CRM_BACKUP_JOBS)) as pool:
                pending = {pool.submit(dump_whole, snapshot): f"whole database ({FULL_DUMP})"}
                for workspace in workspaces:
                    entry = WorkspaceEntry(workspace.slug, workspace.schema_name)
                    pending[pool.submit(dump_one, entry, snapshot)] = (
                        f"{entry.slug} ({entry.schema})"
                    )
                    (work / entry.public_rows).write_text(serialize_public_rows(workspace))
                    manifest.files.update([keep(entry.public_rows, dump=False)])
                    manifest.migrations[entry.schema] = recorded_migrations(entry.schema)
                    manifest.workspaces.append(entry)
                try:
                    for done, finished in enumerate(as_completed(pending), start=1):
                        manifest.files.update([finished.result()])
                        on_progress(f"  [{done}/{len(pending)}] {pending[finished]}")
                except BaseException:
                    pool.shutdown(cancel_futures=True)
                    raise

        manifest_path = work / (MANIFEST + ".writing")
        manifest_path.write_text(manifest.to_json())
        store.put(manifest_path, backup=name, relative=MANIFEST)  # last: now it counts
        manifest_path.unlink()
    size = sum(int(item["size"]) for item in manifest.files.values())
    on_progress(f"backup {name} complete: {len(workspaces)} workspaces, {size} bytes")
    pruned = prune_backups(store=store, on_progress=on_progress, now=now)
    seconds = round((datetime.now(UTC) - started).total_seconds(), 1)
    log.info("backup_taken", name=name, workspaces=len(workspaces), bytes=size, seconds=seconds)
    return BackupTaken(name, store.location, len(workspaces), size, seconds, pruned)


class _work_dir:
    """Where the files are written before they are stored: straight into the backup's own
    folder for a directory store, a temporary directory for S3."""

    def __init__(self, store: BackupStore, name: str) -> None:
        self.direct = store.root / name if isinstance(store, DirectoryStore) else None
        self.temporary: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        if self.direct is not None:
            try:
                self.direct.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise BackupError(
                    f"Cannot write to {self.direct.parent} ({error.strerror}); create it for "
                    "the crm user or set CRM_BACKUP_DIR."
                ) from None
            return self.direct
        self.temporary = tempfile.TemporaryDirectory(prefix="crm-backup-")
        return Path(self.temporary.name)

    def __exit__(self, *exc: object) -> None:
        if self.temporary is not None:
            self.temporary.cleanup()


def list_backups(*, store: BackupStore | None = None) -> list[StoredBackup]:
    return (store or configured_store()).backups()


def prune_backups(
    *, store: BackupStore | None = None, on_progress: Progress = _quiet, now: datetime | None = None
) -> list[str]:
    """Delete complete backups older than CRM_BACKUP_RETENTION_DAYS (and beyond
    CRM_BACKUP_RETENTION_COUNT when set), never the newest complete one; and backups left
    without a manifest for over a day. Returns the names deleted."""
    store = store or configured_store()
    now = now or datetime.now(UTC)
    stored = store.backups()
    complete = [backup for backup in stored if backup.complete]
    keep = {complete[-1].name} if complete else set()
    oldest_kept = now - timedelta(days=settings.CRM_BACKUP_RETENTION_DAYS)
    doomed = [b.name for b in complete if b.taken_at < oldest_kept and b.name not in keep]
    if settings.CRM_BACKUP_RETENTION_COUNT > 0:
        doomed += [b.name for b in complete[: -settings.CRM_BACKUP_RETENTION_COUNT]]
    doomed += [b.name for b in stored if not b.complete and b.taken_at < now - ABANDONED_AFTER]
    pruned = sorted(set(doomed) - keep)
    for name in pruned:
        store.delete(name)
        on_progress(f"pruned {name}")
    return pruned


def resolve_backup(store: BackupStore, name: str) -> str:
    """`name`, or the newest complete backup for "latest"; BackupNotFound/BackupIncomplete."""
    stored = {backup.name: backup for backup in store.backups()}
    if name == "latest":
        complete = [backup.name for backup in stored.values() if backup.complete]
        if not complete:
            raise BackupNotFound(f"There is no complete backup in {store.location}.")
        return max(complete)
    if name not in stored:
        raise BackupNotFound(
            f"There is no backup {name!r} in {store.location}; `manage.py backup --list` "
            "shows them."
        )
    if not stored[name].complete:
        raise BackupIncomplete(
            f"Backup {name} in {store.location} has no manifest: it never finished."
        )
    return name


def fetch_manifest(store: BackupStore, name: str, work: Path) -> Manifest:
    target = work / MANIFEST
    store.get(backup=name, relative=MANIFEST, target=target)
    return Manifest.read(target)


def fetch_checked(store: BackupStore, manifest: Manifest, relative: str, work: Path) -> Path:
    """A file of the backup, fetched into `work` and checked against the manifest."""
    target = work / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    store.get(backup=manifest.name, relative=relative, target=target)
    manifest.check_file(relative, target)
    return target


def verify_backup(
    name: str, *, store: BackupStore | None = None, on_progress: Progress = _quiet
) -> Manifest:
    """Fetch every file of a backup, check it against the manifest and list every dump.
    Raises BackupNotFound, BackupIncomplete, BackupCorrupt or PostgresToolFailed."""
    store = store or configured_store()
    name = resolve_backup(store, name)
    with tempfile.TemporaryDirectory(prefix="crm-verify-") as temporary:
        work = Path(temporary)
        manifest = fetch_manifest(store, name, work)
        for relative in sorted(manifest.files):
            path = fetch_checked(store, manifest, relative, work)
            if relative.endswith(".dump"):
                postgres.list_dump(path)
            path.unlink()
            on_progress(f"  ok {relative}")
    on_progress(f"backup {name}: {len(manifest.files)} files match the manifest")
    return manifest
