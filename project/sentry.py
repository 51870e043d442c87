"""Sentry, when SENTRY_DSN is set: Django and Celery integrations, every event tagged with
the workspace (its schema) and the request id, and no personal data.

The tags come from what the request or task bound to structlog's context (the request
middleware binds request_id and schema, the Celery task_prerun signal the same), so an
event carries exactly what the log lines beside it carry.
"""

from __future__ import annotations

from typing import Any

import structlog

# Bodies can hold leads' names and email addresses: never sent, whatever their size.
REQUEST_BODIES = "never"


def tag_with_context(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    context = structlog.contextvars.get_contextvars()
    tags = event.setdefault("tags", {})
    tags["workspace"] = str(context.get("schema") or "public")
    if context.get("request_id"):
        tags["request_id"] = str(context["request_id"])
    if context.get("task"):
        tags["celery_task"] = str(context["task"])
    # No user: an id is enough to find them, and the SDK must not guess an email or address.
    event.pop("user", None)
    return event


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """The release is SENTRY_RELEASE's (the SDK reads it), e.g. the release directory's name."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        max_request_body_size=REQUEST_BODIES,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=tag_with_context,  # type: ignore[arg-type]
        before_send_transaction=tag_with_context,  # type: ignore[arg-type]
    )
