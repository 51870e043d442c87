"""Clients and helpers many test modules share: signed-in and bearer clients of a workspace,
JSON posts, members, and the development outbox."""

from __future__ import annotations

import re

from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.users import create_user
from mail.models import OutboxEmail
from tenants.models import Workspace

OWNER_PASSWORD = "correct horse battery staple"


def outbox_of(workspace: Workspace) -> list[OutboxEmail]:
    """Emails the workspace 'sent' through the development outbox, oldest first."""
    with schema_context(workspace.schema_name):
        return list(OutboxEmail.objects.order_by("created_at", "pk"))


def link_in(email: OutboxEmail, path: str) -> str:
    """The path and query of the first link to `path` in an email's text."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path)}\S*)", email.text_body)
    assert match, f"no link to {path} in:\n{email.text_body}"
    return match.group(1)


def add_member(workspace: Workspace, role: str, email: str | None = None) -> User:
    with schema_context(workspace.schema_name):
        return create_user(
            email=email or f"{role}@{workspace.slug}.example", password=OWNER_PASSWORD, role=role
        )


def sign_in_client(workspace: Workspace, email: str, password: str = OWNER_PASSWORD) -> Client:
    client = Client(HTTP_HOST=workspace.primary_host)
    response = client.post("/login/", {"email": email, "password": password})
    assert response.status_code == 302, response.content
    return client


def bearer_client(workspace: Workspace, email: str, password: str = OWNER_PASSWORD) -> Client:
    """A client of the workspace's API carrying an access token from POST /auth/token."""
    response = Client(HTTP_HOST=workspace.primary_host).post(
        "/api/v1/auth/token",
        {"email": email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    return Client(HTTP_HOST=workspace.primary_host, HTTP_AUTHORIZATION=f"Bearer {token}")


def api(fixture) -> Client:
    """The owner's API client."""
    return bearer_client(fixture.workspace, fixture.owner_email)


def post(client: Client, path: str, body: object):
    return client.post(path, body, content_type="application/json")


def patch(client: Client, path: str, body: object):
    return client.patch(path, body, content_type="application/json")
