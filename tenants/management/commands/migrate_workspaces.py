from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.services.schema_migrations import SchemaResult, migrate_workspaces


class Command(BaseCommand):
    help = (
        "Migrate the public schema, then only the workspace schemas behind the migration "
        "files (found with one query), in parallel, then refresh the template. Resumable: "
        "run it again after an interruption and it finishes what is left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Workspaces migrated at once, each in its own process (1: in this one).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        processes = max(1, int(options["processes"]))

        def progress(done: int, total: int, result: SchemaResult) -> None:
            if result.error:
                self.stdout.write(f"[{done}/{total}] {result.schema}: FAILED {result.error}")
            else:
                self.stdout.write(
                    f"[{done}/{total}] {result.schema}: {result.applied} migration(s) "
                    f"in {result.seconds:.2f} s"
                )

        run = migrate_workspaces(processes=processes, on_progress=progress)
        self.stdout.write(
            f"{len(run.behind)} of {run.total_schemas} workspace schemas were behind; "
            f"{len(run.behind) - len(run.failures)} migrated, {len(run.failures)} failed; "
            f"public {'migrated' if run.public_migrated else 'current'}, template "
            f"{'rebuilt' if run.template_rebuilt else 'current'}; {run.seconds:.1f} s."
        )
        if run.failures:
            names = ", ".join(result.schema for result in run.failures)
            raise CommandError(
                f"{len(run.failures)} workspace schema(s) failed to migrate: {names}. "
                "The others are done; fix the cause and run migrate_workspaces again."
            )
