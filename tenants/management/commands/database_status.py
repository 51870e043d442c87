from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection

from tenants.selectors.database import database_connection_state


class Command(BaseCommand):
    help = (
        "Connect to the database as the app does and print that connection (TLS on this "
        "socket and on the PostgreSQL backend) as JSON. Exits 1 when it cannot connect, or "
        "with --require-tls when the connection is not encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--require-tls",
            action="store_true",
            help="Fail unless this process's connection is encrypted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = f"{connection.settings_dict['HOST'] or 'local socket'}"
        if connection.settings_dict["PORT"]:
            target += f":{connection.settings_dict['PORT']}"
        try:
            state = database_connection_state()
        except OperationalError as error:
            reason = " ".join(str(error).split())
            raise CommandError(
                f"Cannot connect to the database at {target}: {reason}. "
                "Check DATABASE_URL (host, sslmode, sslrootcert) and that the server answers."
            ) from None
        self.stdout.write(json.dumps(state))
        if options["require_tls"] and not state["tls"]:
            raise CommandError(
                f"The connection to {target} is not encrypted (sslmode={state['sslmode']}): "
                "add ?sslmode=verify-full&sslrootcert=<CA file> to DATABASE_URL."
            )
