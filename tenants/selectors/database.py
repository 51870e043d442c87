"""The app's own database connection, as both ends see it: for operators checking TLS and
pooling after a deploy (manage.py database_status)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def database_connection_state() -> dict[str, Any]:
    """Connect as the app does and describe that connection: where it goes, whether this
    process's socket is encrypted, and what PostgreSQL's pg_stat_ssl says about the backend
    serving it (behind PgBouncer: the pooler's connection into PostgreSQL). Raises Django's
    OperationalError when the database cannot be reached or its certificate is refused."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ssl, version, cipher, client_dn, pg_backend_pid(), current_database(),"
            " current_user, current_setting('server_version')"
            " FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        ssl, version, cipher, client_dn, pid, database, user, server_version = cursor.fetchone()
    info = connection.connection.info
    return {
        "host": info.host,
        "port": info.port,
        "database": database,
        "user": user,
        "server_version": server_version,
        "sslmode": connection.settings_dict["OPTIONS"].get("sslmode", "prefer"),
        "tls": bool(connection.connection.pgconn.ssl_in_use),
        "backend": {
            "pid": pid,
            "ssl": ssl,
            "ssl_version": version,
            "cipher": cipher,
            "client_certificate": client_dn,
        },
    }
