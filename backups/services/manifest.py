"""The manifest: what a backup holds, every file's checksum, and the migration state of each
schema, so that a restore can refuse a backup the code is too old for."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from backups.errors import BackupCorrupt, BackupFromNewerCode

FORMAT = 1
FULL_DUMP = "full.dump"


def schema_dump_path(schema: str) -> str:
    return f"schemas/{schema}.dump"


def public_rows_path(slug: str) -> str:
    return f"workspaces/{slug}.json"


def file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def code_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def code_leaf_nodes() -> list[list[str]]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return sorted([app, name] for app, name in graph.leaf_nodes())


def recorded_migrations(schema: str) -> list[list[str]]:
    """The rows of `schema`'s django_migrations (empty when it has none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(
            sql.SQL("SELECT app, name FROM {} ORDER BY app, name")
            .format(sql.Identifier(schema, "django_migrations"))
            .as_string(cursor.connection)
        )
        return [[app, name] for app, name in cursor.fetchall()]


@dataclass(frozen=True)
class WorkspaceEntry:
    slug: str
    schema: str

    @property
    def dump(self) -> str:
        return schema_dump_path(self.schema)

    @property
    def public_rows(self) -> str:
        return public_rows_path(self.slug)


@dataclass
class Manifest:
    name: str
    created_at: str
    database: str
    migration_leaves: list[list[str]]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    workspaces: list[WorkspaceEntry] = field(default_factory=list)
    migrations: dict[str, list[list[str]]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "name": self.name,
                "created_at": self.created_at,
                "database": self.database,
                "migration_leaves": self.migration_leaves,
                "workspaces": [{"slug": w.slug, "schema": w.schema} for w in self.workspaces],
                "migrations": self.migrations,
                "files": self.files,
            },
            indent=1,
            sort_keys=True,
        )

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text())
            return cls(
                name=raw["name"],
                created_at=raw["created_at"],
                database=raw["database"],
                migration_leaves=raw["migration_leaves"],
                files=raw["files"],
                workspaces=[WorkspaceEntry(w["slug"], w["schema"]) for w in raw["workspaces"]],
                migrations=raw["migrations"],
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BackupCorrupt(f"The manifest cannot be read ({error}).") from None

    def workspace(self, slug: str) -> WorkspaceEntry | None:
        return next((entry for entry in self.workspaces if entry.slug == slug), None)

    def check_file(self, relative: str, path: Path) -> None:
        """BackupCorrupt unless `path` has the size and sha256 the manifest lists for it."""
        expected = self.files.get(relative)
        if expected is None:
            raise BackupCorrupt(f"{relative} is not listed in the manifest of {self.name}.")
        found = file_digest(path)
        if found != expected:
            raise BackupCorrupt(
                f"{relative} of backup {self.name} does not match its manifest "
                f"(sha256 {found['sha256'][:12]}..., {found['size']} bytes; expected "
                f"{expected['sha256'][:12]}..., {expected['size']} bytes). Use another backup."
            )

    def check_migrations_known(self, schemas: list[str]) -> None:
        """BackupFromNewerCode naming every recorded migration of `schemas` that the code
        lacks (the backup comes from a newer release: deploy it first)."""
        known = code_migrations()
        unknown = sorted(
            {
                f"{app}.{name} ({schema})"
                for schema in schemas
                for app, name in self.migrations.get(schema, [])
                if (app, name) not in known
            }
        )
        if unknown:
            raise BackupFromNewerCode(
                f"Backup {self.name} was taken by code with migrations this code does not have: "
                f"{', '.join(unknown)}. Deploy the release that has them, then restore; "
                "nothing was changed."
            )
