"""Platform tasks. `ping` proves a worker end to end: broker, schema switch and log context."""

from __future__ import annotations

import structlog
from django.db import connection

from project.celery import app

log = structlog.get_logger(__name__)


@app.task(name="project.ping")
def ping() -> dict[str, str]:
    """Answers from inside the workspace schema the task was queued from."""
    context = structlog.contextvars.get_contextvars()
    log.info("worker_ping")
    schema = str(getattr(connection, "schema_name", "public"))  # django-tenants sets it
    return {"schema": schema, "request_id": str(context.get("request_id"))}
