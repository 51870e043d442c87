from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from project.errors import DomainError
from tenants.services.demo import DEMO_LOGINS, seed_demo_workspace


class Command(BaseCommand):
    help = "Create or refresh the demo workspace and print its logins (dev and test only)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = seed_demo_workspace()
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Demo workspace: {workspace.url}")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.role:<7} {login.email}  /  {login.password}")
