"""Backups of the whole database and of each workspace, and restoring ONE workspace.

The front door is `backups.services`: take_backup, prune_backups, verify_backup,
list_backups and restore_workspace. Everything else in the package is internal.
"""
