"""What can go wrong with a backup or a restore, each with a stable code."""

from __future__ import annotations

from project.errors import DomainError


class BackupError(DomainError):
    code = "backup_failed"
    status = 400
    default_message = "The backup could not be completed."


class BackupNotFound(BackupError):
    code = "backup_not_found"
    default_message = "There is no such backup."


class BackupIncomplete(BackupError):
    code = "backup_incomplete"
    default_message = "The backup has no manifest: it never finished, so it cannot be used."


class BackupCorrupt(BackupError):
    code = "backup_corrupt"
    default_message = "A file of the backup does not match its manifest."


class BackupFromNewerCode(BackupError):
    code = "backup_from_newer_code"
    default_message = "The backup was taken by code with migrations this code does not have."


class WorkspaceNotInBackup(BackupError):
    code = "workspace_not_in_backup"
    default_message = "The backup holds no workspace by that name."


class RestoreRefused(BackupError):
    code = "restore_refused"
    default_message = "The restore was not confirmed; nothing changed."


class PostgresToolFailed(BackupError):
    code = "postgres_tool_failed"
    default_message = "A PostgreSQL tool failed."
