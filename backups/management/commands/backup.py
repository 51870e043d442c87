from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.services import list_backups, take_backup, verify_backup
from project.errors import DomainError


class Command(BaseCommand):
    help = (
        "Back up the whole database and each workspace (to CRM_BACKUP_DIR or CRM_BACKUP_URL), "
        "verify every dump, write the manifest last and prune past the retention. "
        "--list shows the backups; --verify NAME re-checks one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="list the stored backups")
        parser.add_argument("--verify", metavar="NAME", help="check a backup (or 'latest')")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["list"]:
                for stored in list_backups():
                    state = "complete" if stored.complete else "INCOMPLETE (no manifest)"
                    self.stdout.write(f"{stored.name}  {state}")
                return
            if options["verify"]:
                verify_backup(options["verify"], on_progress=self.stdout.write)
                return
            taken = take_backup(on_progress=self.stdout.write)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup {taken.name} stored in {taken.location}: {taken.workspaces} "
                f"workspaces, {taken.bytes} bytes, {taken.seconds} s."
            )
        )
