"""A task runs in the schema it was queued from and logs with the request id that queued it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import structlog
from django_tenants.utils import tenant_context

from project.tasks import ping
from tenants.models import Workspace
from tests.support.workers import celery_worker, committed_workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="task", name="Task Co") as created:
        yield created


def test_task_carries_request_id_and_runs_in_the_workspace_schema(
    workspace: Workspace, tmp_path
) -> None:
    with celery_worker(tmp_path, concurrency=1) as worker:
        structlog.contextvars.bind_contextvars(request_id="req-task-42")
        with tenant_context(workspace):
            ping.apply_async(queue=worker.queue)
        structlog.contextvars.clear_contextvars()
        line = _wait_for_event(worker.log_path, "worker_ping")

    assert line["request_id"] == "req-task-42"
    assert line["schema"] == workspace.schema_name
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
