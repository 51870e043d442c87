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
PRIVATE_REQUEST_PARTS = ("data", "query_string", "cookies")


def tag_with_context(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    context = structlog.contextvars.get_contextvars()
    tags = event.setdefault("tags", {})
    tags["workspace"] = str(context.get("schema") or "public")
    if context.get("request_id"):
        tags["request_id"] = str(context["request_id"])
    if context.get("task"):
        tags["celery_task"] = str(context["task"])
    # No user, and nothing a visitor typed: a query string or a body can hold a lead's name
    # or email address (a search, a form). The request id finds the log lines instead.
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in PRIVATE_REQUEST_PARTS:
            request.pop(key, None)
    return event


def init_sentry(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    """`release` names the release directory events come from (None: the SDK's own guess)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        max_request_body_size=REQUEST_BODIES,
        # A frame's local variables hold leads, members and requests: stack traces carry
        # file, line and code only.
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        # Log records stay in the JSON logs (Loki), joined by the request_id tag: as
        # breadcrumbs they would carry their key-value context (emails among it) to Sentry.
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            LoggingIntegration(level=None, event_level=None),
        ],
        before_send=tag_with_context,  # type: ignore[arg-type]
        before_send_transaction=tag_with_context,  # type: ignore[arg-type]
    )
