"""Products, pipeline stages and custom fields over the API."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, PipelineStage
from tests.support.clients import add_member, api, bearer_client, patch, post


def test_product_crud_keeps_prices_exact(make_workspace) -> None:
    client = api(make_workspace())

    created = post(
        client, "/api/v1/products", {"name": "Course", "price": "19.99", "currency": "eur"}
    )
    product_id = created.json()["id"]
    changed = patch(client, f"/api/v1/products/{product_id}", {"price": "0.10"})
    listed = client.get("/api/v1/products").json()
    deleted = client.delete(f"/api/v1/products/{product_id}")

    assert created.status_code == 201
    assert (created.json()["price"], created.json()["currency"]) == ("19.99", "EUR")
    assert changed.json()["price"] == "0.10"
    assert [item["id"] for item in listed["items"]] == [product_id]
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/products/{product_id}").status_code == 404


def test_invalid_products_name_each_field(make_workspace) -> None:
    client = api(make_workspace())

    response = post(
        client,
        "/api/v1/products",
        {"name": " ", "price": "-1", "currency": "euro", "kind": "ebook", "billing": "recurring"},
    )

    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert response.status_code == 422
    assert fields == {"name", "price", "currency", "kind", "interval"}


def test_recurring_product_needs_an_interval(make_workspace) -> None:
    client = api(make_workspace())

    monthly = post(
        client,
        "/api/v1/products",
        {"name": "Club", "price": "29", "billing": "recurring", "interval": "month"},
    )
    to_one_time = patch(client, f"/api/v1/products/{monthly.json()['id']}", {"billing": "one_time"})

    assert monthly.json()["interval"] == "month"
    assert to_one_time.json()["interval"] == ""


def test_member_cannot_manage_products_or_stages(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = bearer_client(fixture.workspace, member.email)

    assert post(client, "/api/v1/products", {"name": "X", "price": "1"}).status_code == 403
    assert post(client, "/api/v1/pipeline-stages", {"name": "X"}).status_code == 403
    assert client.get("/api/v1/products").status_code == 200


def test_default_pipeline_exists_and_can_be_reordered(make_workspace) -> None:
    client = api(make_workspace())
    stages = client.get("/api/v1/pipeline-stages").json()

    reversed_ids = [stage["id"] for stage in reversed(stages)]
    reordered = post(client, "/api/v1/pipeline-stages/reorder", {"ids": reversed_ids})
    incomplete = post(client, "/api/v1/pipeline-stages/reorder", {"ids": reversed_ids[:2]})

    assert [stage["name"] for stage in stages] == [
        "New",
        "Contacted",
        "Qualified",
        "Proposal",
        "Won",
        "Lost",
    ]
    assert [stage["id"] for stage in reordered.json()] == reversed_ids
    assert incomplete.status_code == 422


def test_stage_names_are_unique_and_probability_is_bounded(make_workspace) -> None:
    client = api(make_workspace())

    duplicate = post(client, "/api/v1/pipeline-stages", {"name": "won"})
    too_sure = post(client, "/api/v1/pipeline-stages", {"name": "Sure", "win_probability": 101})
    added = post(client, "/api/v1/pipeline-stages", {"name": "Onboarding"})

    assert duplicate.status_code == 409
    assert too_sure.status_code == 422
    assert added.json()["order"] == 6


def test_deleting_a_stage_keeps_its_leads(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    stage = post(client, "/api/v1/pipeline-stages", {"name": "Trial"}).json()
    lead = post(client, "/api/v1/leads", {"email": "l@example.com", "stage": stage["id"]}).json()

    client.delete(f"/api/v1/pipeline-stages/{stage['id']}")

    assert client.get(f"/api/v1/leads/{lead['id']}").json()["stage"] is None
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(object_type="pipelinestage", verb="deleted").exists()


def test_custom_field_definitions_validate_and_then_validate_leads(make_workspace) -> None:
    client = api(make_workspace())

    choice = post(
        client,
        "/api/v1/custom-fields",
        {"key": "plan", "label": "Plan", "field_type": "select", "options": ["basic", "pro"]},
    )
    no_options = post(
        client, "/api/v1/custom-fields", {"key": "tier", "label": "Tier", "field_type": "select"}
    )
    bad_key = post(
        client, "/api/v1/custom-fields", {"key": "Bad Key", "label": "X", "field_type": "text"}
    )
    good_lead = post(
        client, "/api/v1/leads", {"email": "a@x.example", "custom_fields": {"plan": "pro"}}
    )
    bad_lead = post(
        client, "/api/v1/leads", {"email": "b@x.example", "custom_fields": {"plan": "gold"}}
    )

    assert choice.status_code == 201
    assert no_options.json()["error"]["details"][0]["field"] == "options"
    assert bad_key.json()["error"]["details"][0]["field"] == "key"
    assert good_lead.status_code == 201
    assert bad_lead.status_code == 422


def test_catalog_routes_of_another_workspace_are_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_api, beta_api = api(alpha), api(beta)
    product = post(alpha_api, "/api/v1/products", {"name": "Secret", "price": "5"}).json()
    field = post(
        alpha_api, "/api/v1/custom-fields", {"key": "secret", "label": "S", "field_type": "text"}
    ).json()
    stage = post(alpha_api, "/api/v1/pipeline-stages", {"name": "Secret stage"}).json()
    with schema_context(beta.workspace.schema_name):
        Lead.objects.create(email="pad@beta.example")  # ids exist in beta too
        assert not PipelineStage.objects.filter(pk=stage["id"]).exists()

    for path in (
        f"/api/v1/products/{product['id']}",
        f"/api/v1/custom-fields/{field['id']}",
        f"/api/v1/pipeline-stages/{stage['id']}",
    ):
        assert patch(beta_api, path, {}).status_code == 404, path
        assert beta_api.delete(path).status_code == 404, path
    assert beta_api.get(f"/api/v1/products/{product['id']}").status_code == 404
    assert "Secret" not in beta_api.get("/api/v1/products").text
    assert "secret" not in beta_api.get("/api/v1/custom-fields").text
