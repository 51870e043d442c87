from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from project.errors import DomainError
from tenants.services.provisioning import create_workspace


class Command(BaseCommand):
    help = "Create a workspace (schema cloned from the template), its owner and its domain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the subdomain, e.g. acme for acme.<base domain>")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", required=True)
        parser.add_argument("--owner-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            workspace = create_workspace(
                name=options["name"],
                slug=options["slug"],
                owner_email=options["owner_email"],
                owner_password=options["owner_password"],
                owner_name=options["owner_name"],
            )
        except DomainError as error:
            problems = "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
            raise CommandError(f"{error.message} {problems}".strip()) from error
        self.stdout.write(self.style.SUCCESS(f"Created {workspace.slug} at {workspace.url}"))
