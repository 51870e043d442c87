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


@before_task_publish.connect
def attach_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if headers is not None and request_id:
        headers["request_id"] = request_id


@task_prerun.connect
def bind_task_context(task: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()
    request = task.request if task is not None else None
    structlog.contextvars.bind_contextvars(
        task_id=task_id,
        task=getattr(task, "name", None),
        request_id=getattr(request, "request_id", None) or task_id,
        schema=getattr(request, "_schema_name", None) or "public",
    )


@task_postrun.connect
def clear_task_context(**kwargs: Any) -> None:
    structlog.contextvars.clear_contextvars()
