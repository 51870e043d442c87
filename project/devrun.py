"""`make run`: pick the database and Redis, migrate, seed the demo workspace, then serve.

Starts the web server on 127.0.0.1:8000 and, when Redis answers, a Celery worker with the
beat inside it (scheduled campaigns, stalled sends); Ctrl-C stops both. With DATABASE_URL
unset it uses PostgreSQL on 127.0.0.1:5432 when that answers, else a project-local
PostgreSQL from the pgserver package under .data/.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from project.config import embedded_database_dir, port_answers

ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "crm"


@dataclass
class Services:
    database_url: str
    database_note: str
    redis_url: str | None
    redis_note: str
    embedded_server: Any = None  # keeps the pgserver process alive while we run


def start_embedded_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or reuse) a PostgreSQL under data_dir from the pgserver wheel; works as root."""
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    return server, server.get_uri(DATABASE_NAME)


def choose_services() -> Services:
    if os.environ.get("DATABASE_URL"):
        database_url, database_note, server = os.environ["DATABASE_URL"], "DATABASE_URL", None
    elif port_answers("127.0.0.1", 5432):
        database_url = f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}"
        database_note, server = "PostgreSQL already running on 127.0.0.1:5432", None
    else:
        data_dir = embedded_database_dir(ROOT)
        server, database_url = start_embedded_postgres(data_dir)
        (ROOT / ".data" / "database_url").write_text(database_url)
        database_note = f"project-local PostgreSQL (pgserver) in {data_dir}"
    if os.environ.get("REDIS_URL"):
        redis_url, redis_note = os.environ["REDIS_URL"], "REDIS_URL"
    elif port_answers("127.0.0.1", 6379):
        redis_url, redis_note = "redis://127.0.0.1:6379/0", "Redis on 127.0.0.1:6379"
    else:
        redis_url = None
        redis_note = "no Redis: tasks run in-process and the cache is local (development only)"
    return Services(database_url, database_note, redis_url, redis_note, server)


def create_database_if_missing(database_url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    name = str(info.get("dbname") or DATABASE_NAME)
    maintenance = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"  created database {name}")


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def serve(env: dict[str, str], *, port: int, with_worker: bool) -> int:
    processes = [
        subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
    ]
    if with_worker:
        (ROOT / ".data").mkdir(exist_ok=True)
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "project",
                    "worker",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                    # The beat inside the worker: scheduled campaigns and stalled sends.
                    "--beat",
                    "--schedule",
                    str(ROOT / ".data" / "celerybeat-schedule"),
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(process.poll() is None for process in processes):
            time.sleep(0.2)
    finally:
        # Each child leads its own process group (runserver's autoreloader has a child of
        # its own), so Ctrl-C reaches them only through here and all of them stop.
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    print("Stopped the web server" + (" and the worker." if with_worker else "."))
    return 0 if stopping else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("CRM_DEV_PORT", "8000")))
    options = parser.parse_args()

    services = choose_services()
    print(f"Database: {services.database_note}")
    print(f"Redis:    {services.redis_note}")
    env = {
        **os.environ,
        "DJANGO_ENV": os.environ.get("DJANGO_ENV", "dev"),
        "DATABASE_URL": services.database_url,
        "CRM_PUBLIC_PORT": str(options.port),
        "PYTHONUNBUFFERED": "1",
    }
    if services.redis_url:
        env["REDIS_URL"] = services.redis_url
    create_database_if_missing(services.database_url)
    print("Migrating every schema ...")
    manage("migrate_workspaces", "--processes", "1", env=env)
    manage("seed_demo", env=env)
    print(f"\nOpen http://demo.localhost:{options.port} and sign in with a login above.")
    print("Ctrl-C stops the web server" + (" and the worker.\n" if services.redis_url else ".\n"))
    return serve(env, port=options.port, with_worker=services.redis_url is not None)


if __name__ == "__main__":
    sys.exit(main())
