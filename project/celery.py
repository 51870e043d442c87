"""The Celery app. tenant-schemas-celery runs every task in the schema it was sent from;
the request id travels in a header so a task's log lines join the request that queued it."""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = CeleryApp("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["project"])


@before_task_publish.connect
def attach_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if headers is not None and request_id:
        headers["request_id"] = request_id


def message_header(task: Any, name: str) -> Any:
    # Depending on the broker, custom headers arrive in request.headers or on the request.
    headers = getattr(task.request, "headers", None) or {}
    return headers.get(name) or task.request.get(name)


@task_prerun.connect
def bind_task_context(task: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        task_id=task_id,
        task=getattr(task, "name", None),
        request_id=message_header(task, "request_id") or task_id,
        schema=message_header(task, "_schema_name") or "public",
    )


@task_postrun.connect
def clear_task_context(**kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()


def queue_job(name: str, *args: Any) -> None:
    """Queue a registered job by its name. Services and the delivery engine dispatch jobs
    this way, so they never import the edge (an app's tasks module) that defines them."""
    if name not in app.tasks:
        # A web process imports the apps' tasks modules only when first asked (a worker
        # does it at start): the same discovery the worker runs.
        app.loader.import_default_modules()
    app.tasks[name].delay(*args)
