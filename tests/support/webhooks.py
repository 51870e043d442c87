"""Postmark's webhook as the tests call it: basic auth with a workspace's own password."""

from __future__ import annotations

import base64
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from outreach.services.email_settings import rotate_webhook_secret


def webhook_password(workspace) -> str:
    with schema_context(workspace.schema_name):
        return rotate_webhook_secret(actor=None).password


def hook(workspace, password: str | None, username: str = "postmark") -> Client:
    if password is None:
        return Client(HTTP_HOST=workspace.primary_host)
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Client(HTTP_HOST=workspace.primary_host, HTTP_AUTHORIZATION=f"Basic {token}")


def deliver_event(client: Client, payload: dict[str, Any]):
    return client.post("/webhooks/postmark", payload, content_type="application/json")
