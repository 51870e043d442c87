"""The Celery app. tenant-schemas-celery runs every task in the schema it was sent from;
the request id travels in a header so a task's log lines join the request that queued it."""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery.signals import (
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_init,
    worker_process_shutdown,
)
from tenant_schemas_celery.app import CeleryApp

from project import metrics

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


@task_success.connect
def count_success(sender: Any = None, **kwargs: Any) -> None:
    metrics.count_task(task=getattr(sender, "name", "unknown"), outcome="succeeded")


@task_failure.connect
def count_failure(
    sender: Any = None, exception: BaseException | None = None, **kwargs: Any
) -> None:
    metrics.count_task(task=getattr(sender, "name", "unknown"), outcome="failed")
    if exception is not None:
        metrics.count_dependency_error(exception, source="task")


@task_retry.connect
def count_retry(sender: Any = None, **kwargs: Any) -> None:
    metrics.count_task(task=getattr(sender, "name", "unknown"), outcome="retried")


@worker_init.connect
def prepare_metrics(**kwargs: Any) -> None:
    # The worker's main process, before its pool forks: the same as gunicorn's on_starting.
    metrics.prepare_multiprocess_dir()


@worker_process_shutdown.connect
def forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    metrics.process_exited(pid or os.getpid())


def queue_job(name: str, *args: Any) -> None:
    """Queue a registered job by its name. Services and the delivery engine dispatch jobs
    this way, so they never import the edge (an app's tasks module) that defines them."""
    if name not in app.tasks:
        # A web process imports the apps' tasks modules only when first asked (a worker
        # does it at start): the same discovery the worker runs.
        app.loader.import_default_modules()
    app.tasks[name].delay(*args)
