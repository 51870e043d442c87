"""A NUL character (PostgreSQL text cannot hold one) anywhere in a request is a 422 naming the
field for API and webhook clients and an error page for people, before any view runs."""

from __future__ import annotations

import base64

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Lead
from outreach.services.email_settings import rotate_webhook_secret
from tests.support.clients import api, patch, post


def _refusal(response) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    return [(detail["field"], detail["code"]) for detail in error["details"]]


def test_signing_in_with_a_nul_in_the_email_is_422_without_credentials(make_workspace) -> None:
    response = post(
        make_workspace().client(),
        "/api/v1/auth/token",
        {"email": "a\u0000@x.example", "password": "x"},
    )

    assert _refusal(response) == [("email", "nul_character")]


def test_signing_up_with_a_nul_in_the_slug_is_422(apex_client: Client) -> None:
    body = {
        "name": "Acme",
        "slug": "ac\u0000me",
        "owner_email": "ada@acme.example",
        "owner_password": "a long passphrase 1",
    }

    response = post(apex_client, "/api/workspaces", body)

    assert _refusal(response) == [("slug", "nul_character")]


def test_nested_fields_list_items_and_keys_are_named(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example"}).json()

    tags = patch(client, f"/api/v1/leads/{lead['id']}", {"tags": ["ok", "v\u0000ip"]})
    key = patch(client, f"/api/v1/leads/{lead['id']}", {"custom_fields": {"pl\u0000an": "pro"}})
    nested = post(client, "/api/v1/leads/bulk", {"action": "tag", "filter": {"q": "a\u0000"}})

    assert _refusal(tags) == [("tags.1", "nul_character")]
    assert _refusal(key) == [("custom_fields", "nul_character")]
    assert _refusal(nested) == [("filter.q", "nul_character")]


def test_an_escaped_backslash_before_u0000_is_plain_text(make_workspace) -> None:
    client = api(make_workspace())

    response = post(client, "/api/v1/leads", {"email": "a@x.example", "notes": "C:\\u0000"})

    assert response.status_code == 201, response.content
    assert response.json()["notes"] == "C:\\u0000"


def test_export_with_a_nul_in_the_search_is_422_not_a_broken_stream(make_workspace) -> None:
    client = api(make_workspace())
    post(client, "/api/v1/leads", {"email": "a@x.example"})

    response = client.get("/api/v1/leads/export?q=a%00b")

    assert not response.streaming
    assert _refusal(response) == [("q", "nul_character")]


def test_a_nul_in_a_csv_cell_is_422_naming_the_file_and_imports_nothing(make_workspace) -> None:
    fixture = make_workspace()
    upload = SimpleUploadedFile("leads.csv", b"email,first_name\na@x.example,A\x00da\n")

    response = api(fixture).post("/api/v1/leads/import", {"file": upload})

    assert _refusal(response) == [("file", "nul_character")]
    assert response.json()["error"]["details"][0]["message"].startswith(
        "Row 2 holds a NUL character"
    )
    with schema_context(fixture.workspace.schema_name):
        assert not Lead.objects.exists()


def test_a_nul_in_a_form_field_of_the_import_is_422(make_workspace) -> None:
    upload = SimpleUploadedFile("leads.csv", b"email\na@x.example\n")

    response = api(make_workspace()).post(
        "/api/v1/leads/import", {"file": upload, "on_duplicate": "sk\x00ip"}
    )

    assert _refusal(response) == [("on_duplicate", "nul_character")]


def test_a_nul_in_a_postmark_webhook_body_is_422(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        password = rotate_webhook_secret(actor=None).password
    token = base64.b64encode(f"postmark:{password}".encode()).decode()
    client = Client(HTTP_HOST=fixture.host, HTTP_AUTHORIZATION=f"Basic {token}")

    response = post(client, "/webhooks/postmark", {"RecordType": "Delivery", "MessageID": "\u0000"})

    assert _refusal(response) == [("MessageID", "nul_character")]


def test_a_nul_in_a_bearer_token_or_a_cookie_is_422_naming_the_header(make_workspace) -> None:
    fixture = make_workspace()

    bearer = Client(HTTP_HOST=fixture.host, HTTP_AUTHORIZATION="Bearer cat_\x00x").get(
        "/api/v1/leads"
    )
    cookie = Client(HTTP_HOST=fixture.host, HTTP_COOKIE="sessionid=abcdefgh\x00").get("/login/")

    assert _refusal(bearer) == [("Authorization", "nul_character")]
    assert cookie.status_code == 400
    assert b"Bad request" in cookie.content


def test_a_sign_in_form_with_a_nul_is_an_error_page(make_workspace) -> None:
    response = (
        make_workspace().client().post("/login/", {"email": "a\x00@x.example", "password": "x"})
    )

    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
