"""A file too large to check in the request goes through a real Celery worker: the dry run
and the import are queued, the status the page polls moves on by itself, and the counts and
leads are there at the end."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from crm.models import Lead
from project.celery import app
from tenants.models import Workspace
from tests.support.clients import sign_in_client
from tests.support.imports import import_id_of, mapping_form, upload
from tests.support.pages import page_text
from tests.support.workers import celery_worker, committed_workspace, wait_for

pytestmark = pytest.mark.slow
ROWS = 3000  # above CRM_IMPORT_SYNC_MAX_ROWS (2,000): a worker's job


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="bigimport", name="Big Import") as ws:
        yield ws


def test_a_large_file_is_checked_and_imported_by_the_worker(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    assert settings.CRM_IMPORT_SYNC_MAX_ROWS < ROWS
    text = "Email,First Name\n" + "".join(f"big{i}@example.com,Reader{i}\n" for i in range(ROWS))
    text += "broken@,Bad\n"
    default_queue = app.conf.task_default_queue
    with celery_worker(tmp_path, concurrency=1) as worker, django_db_blocker.unblock():
        app.conf.task_default_queue = worker.queue
        try:
            client = sign_in_client(workspace, f"owner@{workspace.slug}.example")
            import_id = import_id_of(upload(client, text))
            status_url = f"/leads/import/{import_id}/status/"
            client.post(f"/leads/import/{import_id}/mapping/", mapping_form(client, import_id))
            first_look = page_text(client.get(f"/leads/import/{import_id}/"))
            wait_for(
                lambda: client.get(status_url, HTTP_HX_REQUEST="true").get("HX-Refresh"),
                timeout=240,
                message=f"the dry run did not finish:\n{worker.log()[-3000:]}",
            )
            preview = html.unescape(page_text(client.get(f"/leads/import/{import_id}/")))
            client.post(f"/leads/import/{import_id}/run/", {"skip_bad_rows": "1"})
            wait_for(
                lambda: "hx-get" not in client.get(status_url).content.decode(),
                timeout=240,
                message=f"the import did not finish:\n{worker.log()[-3000:]}",
            )
            result = page_text(client.get(f"/leads/import/{import_id}/"))
        finally:
            app.conf.task_default_queue = default_queue
        with schema_context(workspace.schema_name):
            count = Lead.objects.count()

    assert "Waiting for a worker" in first_look or "Checking rows" in first_look
    assert f"1 row of {ROWS + 1:,} has a problem" in preview
    assert f"Row {ROWS + 2} · Email 'broken@' is not a valid email address" in preview
    assert f"{ROWS:,} created" in result and "1 failed" in result
    assert count == ROWS
