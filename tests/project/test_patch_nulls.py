"""A partial update (PATCH) may leave any field out, but null only where the column takes
null: `"custom_fields": null` is a 422 naming the field, and the spec says the same."""

from __future__ import annotations

import pytest

from project.urls_tenant import api as workspace_api
from tests.support.clients import api, patch, post

SPEC = workspace_api.get_openapi_schema(path_prefix="/api/v1/")
NULLABLE = {
    "LeadPatch": {"email", "owner", "stage"},
    "TaskPatch": {"due_at", "assignee", "lead"},
    "CampaignPatch": {"scheduled_at"},
}


def _patch_schemas() -> list[str]:
    names = []
    for methods in SPEC["paths"].values():
        if "patch" in methods:
            reference = methods["patch"]["requestBody"]["content"]["application/json"]["schema"]
            names.append(reference["$ref"].rsplit("/", 1)[-1])
    return names


@pytest.mark.parametrize("name", _patch_schemas())
def test_the_spec_documents_null_only_where_it_is_taken(name) -> None:
    schema = SPEC["components"]["schemas"][name]

    nullable = {
        field
        for field, definition in schema["properties"].items()
        if any(option.get("type") == "null" for option in definition.get("anyOf", []))
    }

    assert nullable == NULLABLE.get(name, set())


def test_null_custom_fields_is_422_and_changes_nothing(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example", "first_name": "Ada"}).json()

    response = patch(client, f"/api/v1/leads/{lead['id']}", {"custom_fields": None})
    several = patch(client, f"/api/v1/leads/{lead['id']}", {"first_name": None, "tags": None})

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "field": "custom_fields",
            "code": "null_not_allowed",
            "message": "Leave the field out to keep its value; it cannot be null.",
        }
    ]
    assert [d["field"] for d in several.json()["error"]["details"]] == ["first_name", "tags"]
    assert client.get(f"/api/v1/leads/{lead['id']}").json()["first_name"] == "Ada"


def test_null_still_clears_a_field_that_takes_it(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(
        client, "/api/v1/leads", {"email": "a@x.example", "phone": "+1 202 555 0100"}
    ).json()
    task = post(client, "/api/v1/tasks", {"title": "T", "due_at": "2026-12-01T10:00:00Z"}).json()

    lead_answer = patch(client, f"/api/v1/leads/{lead['id']}", {"email": None, "stage": None})
    task_answer = patch(client, f"/api/v1/tasks/{task['id']}", {"due_at": None})

    assert lead_answer.status_code == 200, lead_answer.content
    assert lead_answer.json()["email"] is None
    assert task_answer.json()["due_at"] is None


@pytest.mark.parametrize(
    ("create", "body", "path", "field"),
    [
        ("/api/v1/tasks", {"title": "T"}, "/api/v1/tasks/{id}", "done"),
        ("/api/v1/products", {"name": "P", "price": "1"}, "/api/v1/products/{id}", "price"),
        ("/api/v1/pipeline-stages", {"name": "S"}, "/api/v1/pipeline-stages/{id}", "order"),
        ("/api/v1/campaigns", {"name": "C"}, "/api/v1/campaigns/{id}", "audience"),
        (
            "/api/v1/custom-fields",
            {"key": "k", "label": "K", "field_type": "text"},
            "/api/v1/custom-fields/{id}",
            "options",
        ),
    ],
)
def test_null_for_a_not_null_column_is_422_on_every_patch(
    make_workspace, create, body, path, field
) -> None:
    client = api(make_workspace())
    row = post(client, create, body).json()

    response = patch(client, path.format(id=row["id"]), {field: None})

    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"][0]["field"] == field


def test_null_email_settings_are_422(make_workspace) -> None:
    response = patch(api(make_workspace()), "/api/v1/email/settings", {"reply_to": None})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "null_not_allowed"
