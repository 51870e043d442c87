"""The front door of backups: what commands (and the timer) may call."""

from backups.services.restoring import RestoredWorkspace, restore_workspace
from backups.services.stores import StoredBackup, configured_store
from backups.services.taking import (
    BackupTaken,
    list_backups,
    prune_backups,
    take_backup,
    verify_backup,
)

__all__ = [
    "BackupTaken",
    "RestoredWorkspace",
    "StoredBackup",
    "configured_store",
    "list_backups",
    "prune_backups",
    "restore_workspace",
    "take_backup",
    "verify_backup",
]
