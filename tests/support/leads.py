"""Lead import and export as the tests drive them."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile


def upload(client, text: str, **options: str):
    data = {
        "file": SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv"),
        **options,
    }
    return client.post("/api/v1/leads/import", data)


def run_in_background(client, text: str, capture, **options: str):
    """Upload a file large enough for the worker and run the job (eagerly) on commit."""
    from project.celery import app

    app.conf.task_always_eager = True
    try:
        with capture(execute=True):
            queued = upload(client, text, **options)
    finally:
        app.conf.task_always_eager = False
    assert queued.status_code == 202, queued.content
    return client.get(f"/api/v1/imports/{queued.json()['id']}").json()


def body_of(response: Any) -> str:
    """The full text of a streamed response."""
    return b"".join(response.streaming_content).decode()
