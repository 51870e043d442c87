from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from project.errors import DomainError
from tenants.selectors.demo import ROLE_ORDER, current_roles
from tenants.services.demo import DEMO_LOGINS, seed_demo_workspace


class Command(BaseCommand):
    help = "Create or refresh the demo workspace and print its logins (dev and test only)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = seed_demo_workspace()
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Demo workspace: {workspace.url}")
        # Roles as they are now (an ownership transfer moves them), owner first.
        roles = current_roles(workspace, [login.email for login in DEMO_LOGINS])
        logins = sorted(
            DEMO_LOGINS, key=lambda login: ROLE_ORDER.get(roles.get(login.email, ""), 9)
        )
        for login in logins:
            role = roles.get(login.email, "unknown")
            self.stdout.write(f"  {role:<7} {login.email}  /  {login.password}")
