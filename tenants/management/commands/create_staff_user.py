from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from project.errors import DomainError
from tenants.services.console import save_staff_user


class Command(BaseCommand):
    help = (
        "Create a platform staff account (public schema) for the console at /console/, or make "
        "the existing account with this email staff and set its password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="full name shown in the console")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            account = save_staff_user(
                email=options["email"], password=options["password"], full_name=options["name"]
            )
        except DomainError as error:
            problems = "; ".join(f"{d['field']}: {d['message']}" for d in error.details)
            raise CommandError(f"No staff account saved. {problems or error.message}") from error
        email = account.user.email
        if account.created:
            message = f"Created staff account {email}; sign in at /console/login/."
        else:
            message = f"Updated staff account {email}: {', '.join(account.changes)}."
        self.stdout.write(self.style.SUCCESS(message))
