"""A task runs in the schema it was queued from and logs with the request id that queued it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
import structlog
from django.conf import settings
from django.db import connection
from django_tenants.utils import tenant_context

from project.tasks import ping
from tenants.models import Workspace
from tenants.services.provisioning import create_workspace
from tests.conftest import OWNER_PASSWORD
from tests.servers import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture
def committed_workspace(django_db_blocker) -> Iterator[Workspace]:
    """The worker is another process: it sees only committed rows."""
    slug = f"task-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        workspace = create_workspace(
            name="Task Co", slug=slug, owner_email="t@task.example", owner_password=OWNER_PASSWORD
        )
        yield workspace
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{workspace.schema_name}" CASCADE')
        workspace.delete()


def test_task_carries_request_id_and_runs_in_the_workspace_schema(
    committed_workspace: Workspace, tmp_path
) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "REDIS_URL": str(settings.REDIS_URL),
        "LOG_FORMAT": "json",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            structlog.contextvars.bind_contextvars(request_id="req-task-42")
            with tenant_context(committed_workspace):
                ping.apply_async(queue=queue)
            structlog.contextvars.clear_contextvars()
            line = _wait_for_event(log_path, "worker_ping")
        finally:
            worker.terminate()
            worker.wait(timeout=20)

    assert line["request_id"] == "req-task-42"
    assert line["schema"] == committed_workspace.schema_name
    assert line["task"] == "project.ping"


def _wait_for_event(log_path, event: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for raw in log_path.read_text().splitlines():
            if raw.startswith("{"):
                line = json.loads(raw)
                if line.get("event") == event:
                    return line
        time.sleep(0.2)
    raise AssertionError(f"no {event} in the worker log:\n{log_path.read_text()}")
