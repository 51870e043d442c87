from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection

from tenants.selectors.database import database_connection_state


class Command(BaseCommand):
    help = (
        "Connect to the database as the app does and print that connection as JSON: TLS on "
        "this process's socket (tls) and on the connection PostgreSQL serves (backend; behind "
        "PgBouncer, the pooler's own). Exits 1 when it cannot connect, or with --require-tls "
        "when what reaches PostgreSQL is not encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--require-tls",
            action="store_true",
            help="Fail unless PostgreSQL reports the connection it serves as encrypted.",
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
        if options["require_tls"] and not state["backend"]["ssl"]:
            raise CommandError(
                f"PostgreSQL reports the connection through {target} as not encrypted "
                f"(sslmode={state['sslmode']}): add ?sslmode=verify-full&sslrootcert=<CA file> "
                "to DATABASE_URL (behind PgBouncer: server_tls_sslmode = verify-full)."
            )
