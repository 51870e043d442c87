"""Sentry when SENTRY_DSN is set: the app under gunicorn (the real SDK init in settings)
reports an error raised in a workspace request to a receiver on the loopback address,
tagged with the workspace and the request id, and without personal data; a task failing in
a real worker the same, tagged with the workspace it ran in."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from project.celery import app
from tenants.models import Workspace
from tests.support.sentry import fake_sentry
from tests.support.servers import gunicorn_app
from tests.support.workers import celery_worker, committed_workspace, wait_for


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="sentry", name="Sentry Co") as created:
        yield created


def test_an_error_in_a_workspace_request_arrives_tagged_with_the_workspace(
    workspace: Workspace, tmp_path
) -> None:
    db = connection.settings_dict
    with fake_sentry() as sentry:
        env = {
            "SENTRY_DSN": sentry.dsn,
            "DJANGO_SETTINGS_MODULE": "tests.project.sentry_settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        }
        with gunicorn_app(env, log_path=tmp_path / "server.log") as base_url:
            response = httpx.get(
                f"{base_url}/boom/?email=lead@private.example",
                headers={
                    "Host": workspace.primary_host,
                    "X-Request-ID": "sentry-probe-7",
                    "Cookie": "sessionid=secret-session-value",
                    "Authorization": "Bearer secret-api-key",
                },
            )
            event = wait_for(
                lambda: next(iter(sentry.events), None),
                timeout=20,
                message=f"no event reached the receiver:\n{(tmp_path / 'server.log').read_text()}",
            )

    raw = b"".join(sentry.raw)
    assert response.status_code == 500
    assert sentry.paths[0] == "/api/1/envelope/"
    assert event["tags"]["workspace"] == workspace.schema_name
    assert event["tags"]["request_id"] == "sentry-probe-7"
    assert event["exception"]["values"][-1]["value"] == "a bug"
    assert event["environment"] == "test"
    assert "user" not in event
    assert b"secret-session-value" not in raw
    assert b"secret-api-key" not in raw
    assert b"private.example" not in raw
    assert {"data", "query_string", "cookies"}.isdisjoint(event["request"])


def test_a_task_failing_in_a_worker_arrives_tagged_with_its_workspace(
    workspace: Workspace, tmp_path
) -> None:
    with (
        fake_sentry() as sentry,
        celery_worker(tmp_path, concurrency=1, env={"SENTRY_DSN": sentry.dsn}) as worker,
    ):
        with tenant_context(workspace):
            # send_task skips the caller's argument check: the worker's call fails.
            app.send_task("project.ping", args=["unexpected"], queue=worker.queue)
        event = wait_for(
            lambda: next(iter(sentry.events), None),
            timeout=30,
            message=f"no event reached the receiver:\n{worker.log()}",
        )

    assert event["tags"]["workspace"] == workspace.schema_name
    assert event["tags"]["celery_task"] == "project.ping"
    assert event["exception"]["values"][-1]["type"] == "TypeError"
    assert "user" not in event
