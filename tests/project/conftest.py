"""A workspace whose rows the tests that walk the OpenAPI specs point paths and fields at
(so /leads/{lead_id} reaches a real lead, not a 404). Each kind of row is made through the
API the first time a test asks for it: a walk of GET /leads makes none."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.conftest import WorkspaceFixture
from tests.support.clients import add_member, api, post
from tests.support.payments import add_payment


def _created_id(response: Any) -> int:
    assert response.status_code in (200, 201), response.content
    return int(response.json()["id"])


class Rows(dict[str, int]):
    """Row ids by kind ("lead", "task", ...), each row made on first use."""

    def __init__(self, fixture: WorkspaceFixture, client: Client) -> None:
        super().__init__()
        self.fixture = fixture
        self.client = client

    def __missing__(self, kind: str) -> int:
        self[kind] = self._make(kind)
        return self[kind]

    def _make(self, kind: str) -> int:
        client = self.client
        if kind == "member":
            return add_member(self.fixture.workspace, "member").pk
        if kind == "import":
            csv_file = SimpleUploadedFile("leads.csv", b"email\nimported@x.example\n")
            return _created_id(client.post("/api/v1/leads/import", {"file": csv_file}))
        if kind == "task":
            return _created_id(
                post(client, "/api/v1/tasks", {"title": "Call", "lead": self["lead"]})
            )
        if kind == "payment":  # recorded from Stripe's webhooks, never made by the API
            return add_payment(self.fixture.workspace, lead_id=self["lead"]).pk
        if kind == "message":
            message = {"lead": self["lead"], "channel": "note", "body": "Hi"}
            return _created_id(post(client, "/api/v1/messages", message))
        path, body = {
            "lead": ("/api/v1/leads", {"email": "lead@x.example"}),
            "campaign": ("/api/v1/campaigns", {"name": "Launch"}),
            "product": ("/api/v1/products", {"name": "P", "price": "1"}),
            "stage": ("/api/v1/pipeline-stages", {"name": "Walked"}),
            "field": (
                "/api/v1/custom-fields",
                {"key": "plan", "label": "Plan", "field_type": "text"},
            ),
            "api_key": ("/api/v1/api-keys", {"name": "Zapier"}),
        }[kind]
        return _created_id(post(client, path, body))


@dataclass
class PopulatedWorkspace:
    fixture: WorkspaceFixture
    client: Client
    token: str
    ids: Rows

    @property
    def host(self) -> str:
        return self.fixture.host


@pytest.fixture
def populated_workspace(make_workspace: Callable[..., WorkspaceFixture]) -> PopulatedWorkspace:
    fixture = make_workspace()
    client = api(fixture)
    token = client.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    return PopulatedWorkspace(fixture, client, token, Rows(fixture, client))


class _Undo(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a request in a savepoint and undo it: every probe starts from the same rows, and a
    request that broke the transaction cannot break the ones after it."""
    try:
        with transaction.atomic():
            yield
            raise _Undo
    except _Undo:
        pass
