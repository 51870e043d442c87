"""A query parameter an operation does not declare is a 422 naming it (a client that sends
`next` instead of `cursor` would otherwise get page 1 forever), and the spec documents the
error answers every operation can give."""

from __future__ import annotations

from django.test import Client

from project.urls_tenant import api as workspace_api
from tests.support.clients import api, post


def test_next_instead_of_cursor_is_422_naming_it_and_the_right_name(make_workspace) -> None:
    client = api(make_workspace())
    for n in range(3):
        post(client, "/api/v1/leads", {"email": f"l{n}@x.example"})
    cursor = client.get("/api/v1/leads?limit=2").json()["next"]

    wrong = client.get(f"/api/v1/leads?limit=2&next={cursor}")
    right = client.get(f"/api/v1/leads?limit=2&cursor={cursor}")

    assert wrong.status_code == 422
    [detail] = wrong.json()["error"]["details"]
    assert detail["field"] == "next"
    assert detail["code"] == "unknown_parameter"
    assert "cursor" in detail["message"]
    assert len(right.json()["items"]) == 1


def test_every_unknown_parameter_is_named_on_any_operation(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example"}).json()

    listed = client.get("/api/v1/tasks?page=2&per_page=10")
    one = client.get(f"/api/v1/leads/{lead['id']}?expand=owner")

    assert [d["field"] for d in listed.json()["error"]["details"]] == ["page", "per_page"]
    assert one.status_code == 422
    assert "none" in one.json()["error"]["details"][0]["message"]


def test_declared_parameters_of_flattened_filters_are_accepted(make_workspace) -> None:
    client = api(make_workspace())

    response = client.get(
        "/api/v1/leads/export?tag=a&tag=b&created_after=2026-01-01T00:00:00Z&has_email=true"
    )

    assert response.status_code == 200


def test_the_public_api_refuses_unknown_parameters_too(apex_client: Client) -> None:
    response = apex_client.post("/api/workspaces?plan=pro", {}, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "plan"


def test_every_operation_documents_its_error_answers() -> None:
    spec = workspace_api.get_openapi_schema(path_prefix="/api/v1/")

    for methods in spec["paths"].values():
        for operation in methods.values():
            assert operation["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
