from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.services import restore_workspace
from project.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore ONE workspace from a backup (a name in the configured store, 'latest', or a "
        "backup directory): over the existing workspace after confirmation, into a database "
        "that lacks it, or as a copy under a new slug (--as). No other workspace is touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the workspace's slug in the backup")
        parser.add_argument("backup", help="backup name (e.g. 20261201T031500Z), latest, or path")
        parser.add_argument("--as", dest="new_slug", metavar="NEW_SLUG", help="restore as a copy")
        parser.add_argument(
            "--yes", action="store_true", help="replace the existing workspace without asking"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def confirm(question: str) -> bool:
            if options["yes"]:
                return True
            self.stdout.write(f"{question} [y/N] ", ending="")
            self.stdout.flush()
            answer = sys.stdin.readline()
            if not sys.stdin.isatty():
                self.stdout.write(answer.strip())  # the answer piped in, on the prompt's line
            return answer.strip().lower() in {"y", "yes"}

        try:
            restored = restore_workspace(
                slug=options["slug"],
                backup=options["backup"],
                new_slug=options["new_slug"],
                confirm=confirm,
                on_progress=self.stdout.write,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Workspace {restored.workspace.slug} {restored.mode} from {restored.backup}; "
                f"it serves at {restored.workspace.url}."
            )
        )
