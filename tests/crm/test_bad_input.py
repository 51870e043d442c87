"""Bad input anywhere gets a 4xx in the error shape, never a 500 and never a partial write."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.clients import api, bearer_client, post

LONG = "x" * 1000

CREATES = [
    (
        "/api/v1/leads",
        {"email": "a@x.example"},
        ["first_name", "last_name", "phone", "company", "source_detail", "email"],
    ),
    ("/api/v1/products", {"name": "P", "price": "1"}, ["name", "currency", "kind"]),
    ("/api/v1/pipeline-stages", {"name": "S"}, ["name"]),
    ("/api/v1/tasks", {"title": "T"}, ["title"]),
    ("/api/v1/campaigns", {"name": "C"}, ["name", "subject"]),
    ("/api/v1/custom-fields", {"key": "k", "label": "K", "field_type": "text"}, ["key", "label"]),
    ("/api/v1/team/invitations", {"email": "n@x.example"}, ["email", "role"]),
    ("/api/v1/api-keys", {"name": "K"}, ["name"]),
]


@pytest.mark.parametrize(("path", "body", "fields"), CREATES, ids=[path for path, _, _ in CREATES])
def test_over_long_text_is_422_naming_the_field(make_workspace, path, body, fields) -> None:
    client = api(make_workspace())

    for field in fields:
        response = post(client, path, {**body, field: LONG})
        assert response.status_code == 422, (field, response.content)
        assert response.json()["error"]["details"][0]["field"] == field


def test_over_long_message_subject_is_422(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example"}).json()

    response = post(
        client, "/api/v1/messages", {"lead": lead["id"], "channel": "note", "subject": LONG}
    )

    assert response.status_code == 422


def test_over_long_credentials_are_refused_cleanly(make_workspace) -> None:
    fixture = make_workspace()

    token = post(fixture.client(), "/api/v1/auth/token", {"email": LONG, "password": LONG})
    signup = fixture.client().post("/login/", {"email": LONG + "@x.example", "password": "x"})

    assert token.status_code == 422
    assert signup.status_code == 200


def test_sign_up_with_an_over_long_email_is_422(apex_client) -> None:
    response = apex_client.post(
        "/api/workspaces",
        {
            "name": "N",
            "slug": "longmail",
            "owner_email": "a" * 250 + "@x.example",
            "owner_password": "a long passphrase 1",
        },
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "owner_email"


@pytest.mark.parametrize("value", [5, "yesterday", {"dt": "not a time"}, None])
def test_cursor_with_a_value_of_the_wrong_type_is_400(make_workspace, value) -> None:
    cursor = base64.urlsafe_b64encode(
        json.dumps({"s": "-created_at", "v": value, "id": 1}).encode()
    ).decode()

    response = api(make_workspace()).get(f"/api/v1/leads?cursor={cursor}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_cursor"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "assign_owner", "ids": [1], "value": "abc"},
        {"action": "move_stage", "ids": [1], "value": [1]},
        {"action": "tag", "ids": [1], "value": "vip"},
        {"action": "tag", "ids": [1], "value": [{"x": 1}]},
    ],
)
def test_bulk_values_of_the_wrong_type_are_422(make_workspace, body) -> None:
    client = api(make_workspace())
    post(client, "/api/v1/leads", {"email": "a@x.example"})

    response = post(client, "/api/v1/leads/bulk", body)

    assert response.status_code == 422, response.content


def test_import_mapping_of_the_wrong_shape_is_422(make_workspace) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fixture = make_workspace()
    client = bearer_client(fixture.workspace, fixture.owner_email)

    for mapping in ('{"email": 5}', '["email"]', '{"email": null}'):
        response = client.post(
            "/api/v1/leads/import",
            {"file": SimpleUploadedFile("l.csv", b"email\na@x.example\n"), "mapping": mapping},
        )
        assert response.status_code == 422, (mapping, response.content)


def test_out_of_range_numbers_are_422(make_workspace) -> None:
    client = api(make_workspace())

    price = post(client, "/api/v1/products", {"name": "P", "price": "99999999999"})
    order = post(client, "/api/v1/pipeline-stages", {"name": "S", "order": -1})

    assert price.status_code == 422
    assert price.json()["error"]["details"][0]["field"] == "price"
    assert order.status_code == 422
    assert order.json()["error"]["details"][0]["field"] == "order"
