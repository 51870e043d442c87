"""Every write operation of the workspace API, walked from its OpenAPI spec: a call without
valid credentials for this workspace (none, garbage, or another workspace's token, key or
session) is 401 not_authenticated; a signed-in browser session without its CSRF token is
refused, and with it is accepted."""

from __future__ import annotations

import re

from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Lead
from tenants.models import Workspace
from tests.conftest import WorkspaceFixture
from tests.support.clients import bearer_client

WRITE_METHODS = {"post", "put", "patch", "delete"}


def write_operations(fixture: WorkspaceFixture) -> list[tuple[str, str]]:
    """(method, path) of every authenticated write in the spec, path parameters set to 1."""
    spec = fixture.client().get("/api/v1/openapi.json").json()
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in WRITE_METHODS and operation.get("security")
    ]


def call(client: Client, method: str, path: str):
    return getattr(client, method)(path, "{}", content_type="application/json")


def api_client(fixture: WorkspaceFixture, authorization: str = "") -> Client:
    # As a real client: Django's test client skips CSRF checks unless told otherwise.
    client = Client(HTTP_HOST=fixture.host, enforce_csrf_checks=True)
    if authorization:
        client.defaults["HTTP_AUTHORIZATION"] = authorization
    return client


def test_a_write_without_credentials_for_this_workspace_is_401(two_workspaces) -> None:
    alpha, beta = two_workspaces
    beta_token = bearer_client(beta.workspace, beta.owner_email).defaults["HTTP_AUTHORIZATION"]
    beta_key = bearer_client(beta.workspace, beta.owner_email).post(
        "/api/v1/api-keys", {"name": "beta"}, content_type="application/json"
    )
    beta_session = beta.signed_in_client()
    replayed_session = api_client(alpha)
    replayed_session.cookies = beta_session.cookies
    callers = {
        "no credentials": api_client(alpha),
        "garbage token": api_client(alpha, "Bearer cat_not-a-token"),
        "beta's access token": api_client(alpha, beta_token),
        "beta's API key": api_client(alpha, f"Bearer {beta_key.json()['key']}"),
        "beta's session cookie": replayed_session,
    }
    operations = write_operations(alpha)

    wrong = [
        (caller, method.upper(), path, response.status_code, response.content[:80])
        for method, path in operations
        for caller, client in callers.items()
        if (response := call(client, method, path)).status_code != 401
        or response.json()["error"]["code"] != "not_authenticated"
    ]

    assert len(operations) > 40  # the walk found the API, not an empty spec
    assert wrong == []
    assert Workspace.objects.filter(pk=alpha.workspace.pk).exists()
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_a_signed_in_session_without_its_csrf_token_is_refused(make_workspace) -> None:
    fixture = make_workspace()
    browser = api_client(fixture)
    browser.cookies = fixture.signed_in_client().cookies
    browser.get("/")  # a page with a form: sets the CSRF cookie, as a browser would hold it
    operations = write_operations(fixture)

    refused = {
        (method, path): call(browser, method, path).status_code for method, path in operations
    }
    with_token = browser.post(
        "/api/v1/leads",
        {"email": "ada@x.example"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )

    assert set(refused.values()) == {403}, refused
    assert browser.get("/api/v1/me").status_code == 200  # the session itself is good
    assert with_token.status_code == 201
    assert Workspace.objects.filter(pk=fixture.workspace.pk).exists()
