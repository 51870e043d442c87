"""Real Celery processes for tests: a worker (optionally with the beat inside) on a queue of
its own, against the test database and this xdist worker's Redis database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from tenants.models import Workspace
from tests.support.servers import ROOT


def worker_env(**extra: str) -> dict[str, str]:
    """The environment a subprocess needs to share this test's database and Redis."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "REDIS_URL": str(settings.REDIS_URL),
        "LOG_FORMAT": "json",
        # The suite keeps both cores busy; a worker's first connection may take a while.
        "CRM_DATABASE_CONNECT_TIMEOUT": "15",
        **extra,
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path
    queue: str
    children: list[int] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL the whole process group (the main process and its pool), no goodbyes."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    queue: str | None = None,
    concurrency: int = 2,
    beat: bool = False,
    env: dict[str, str] | None = None,
    name: str = "worker",
) -> Iterator[Worker]:
    """A prefork worker on `queue` (default: a fresh one), its own process group, logging to
    a file in tmp_path; with `beat`, the beat runs inside it (-B)."""
    queue = queue or f"test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "project",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--queues",
        queue,
        "--hostname",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat:
        command += ["--beat", "--schedule", str(tmp_path / f"{name}-beat-schedule")]
    full_env = {**worker_env(CRM_CELERY_QUEUE=queue), **(env or {})}
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log_path, queue)
    try:
        yield worker
    finally:
        worker.stop()


def wait_for(condition, *, timeout: float, message: str, every: float = 0.1):
    """Poll `condition()` until it returns something truthy; fail with `message` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(message)


@contextmanager
def committed_workspace(django_db_blocker, *, prefix: str, name: str) -> Iterator[Workspace]:
    """A workspace whose rows are committed, so that other processes (workers, gunicorn)
    see them; its schema and rows are dropped afterwards. Its owner is owner@<slug>.example."""
    from tenants.schemas import use_public_schema
    from tenants.services.provisioning import create_workspace
    from tests.support.clients import OWNER_PASSWORD

    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        workspace = create_workspace(
            name=name, slug=slug, owner_email=f"owner@{slug}.example", owner_password=OWNER_PASSWORD
        )
        try:
            yield workspace
        finally:
            use_public_schema()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{workspace.schema_name}" CASCADE')
            workspace.delete()
