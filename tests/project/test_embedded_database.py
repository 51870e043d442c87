"""With no PostgreSQL on 127.0.0.1:5432, `make run` starts one from the pgserver wheel."""

from __future__ import annotations

import logging

import psycopg
import pytest

from project.devrun import create_database_if_missing, start_embedded_postgres

pytestmark = pytest.mark.slow


def test_embedded_postgres_starts_and_serves_the_project_database(tmp_path) -> None:
    server, url = start_embedded_postgres(tmp_path / "pgdata")
    try:
        create_database_if_missing(url)
        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute("SELECT current_database()").fetchone()
        assert row == ("crm",)
    finally:
        server.cleanup()
        # pgserver logs again from an atexit hook, after pytest has closed its streams.
        logging.getLogger("pgserver").setLevel(logging.CRITICAL)
