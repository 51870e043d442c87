"""/api/v1/leads: create, read, change, delete, with the event log and isolation."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, EventLog, Lead, PipelineStage
from tests.support.clients import add_member, api, bearer_client, patch, post


def test_create_read_update_delete_a_lead(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)

    created = post(
        client,
        "/api/v1/leads",
        {"first_name": "Ada", "email": "Ada@Example.com", "tags": ["VIP", "webinar", "vip"]},
    )
    lead_id = created.json()["id"]
    read = client.get(f"/api/v1/leads/{lead_id}")
    changed = patch(client, f"/api/v1/leads/{lead_id}", {"status": "qualified"})
    deleted = client.delete(f"/api/v1/leads/{lead_id}")

    assert created.status_code == 201
    assert created.json()["tags"] == ["vip", "webinar"]
    assert created.json()["source"] == "api"
    assert read.json()["email"] == "Ada@Example.com"
    assert changed.json()["status"] == "qualified"
    assert changed.json()["first_name"] == "Ada"  # untouched
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/leads/{lead_id}").status_code == 404
    with schema_context(fixture.workspace.schema_name):
        verbs = list(
            EventLog.objects.filter(object_id=lead_id).order_by("id").values_list("verb", flat=True)
        )
        update = EventLog.objects.get(verb="updated")
    assert verbs == ["created", "updated", "deleted"]
    assert update.changes == {"status": {"before": "new", "after": "qualified"}}


def test_invalid_email_is_422_naming_the_field(make_workspace) -> None:
    response = post(api(make_workspace()), "/api/v1/leads", {"email": "not-an-email"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "email"


def test_lead_needs_an_email_or_a_phone(make_workspace) -> None:
    client = api(make_workspace())

    nothing = post(client, "/api/v1/leads", {"first_name": "Anon"})
    phone_only = post(client, "/api/v1/leads", {"first_name": "Call", "phone": "+1 202 555 0100"})

    assert nothing.status_code == 422
    assert nothing.json()["error"]["details"][0]["code"] == "email_or_phone_required"
    assert phone_only.status_code == 201
    assert phone_only.json()["email"] is None


def test_duplicate_email_in_other_case_is_409_with_the_existing_id(make_workspace) -> None:
    client = api(make_workspace())
    first = post(client, "/api/v1/leads", {"email": "sam@example.com"}).json()

    response = post(client, "/api/v1/leads", {"email": "SAM@example.COM"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lead_email_taken"
    assert response.json()["error"]["details"][0]["existing_id"] == first["id"]


def test_patch_rejects_unknown_fields_and_changes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    lead = post(client, "/api/v1/leads", {"email": "a@example.com"}).json()

    response = patch(client, f"/api/v1/leads/{lead['id']}", {"status": "lost", "colour": "red"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "colour"
    assert client.get(f"/api/v1/leads/{lead['id']}").json()["status"] == "new"


def test_patch_email_to_a_taken_one_is_409_and_rolled_back_with_its_event(
    make_workspace,
) -> None:
    fixture = make_workspace()
    client = api(fixture)
    post(client, "/api/v1/leads", {"email": "taken@example.com"})
    lead = post(client, "/api/v1/leads", {"email": "free@example.com"}).json()

    response = patch(
        client, f"/api/v1/leads/{lead['id']}", {"email": "taken@example.com", "status": "lost"}
    )

    assert response.status_code == 409
    assert client.get(f"/api/v1/leads/{lead['id']}").json()["status"] == "new"
    with schema_context(fixture.workspace.schema_name):
        assert not EventLog.objects.filter(verb="updated").exists()


def test_stage_owner_and_custom_fields_are_validated(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    with schema_context(fixture.workspace.schema_name):
        stage = PipelineStage.objects.get(name="Qualified")
        CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="number")
    member = add_member(fixture.workspace, "member")

    good = post(
        client,
        "/api/v1/leads",
        {
            "email": "g@example.com",
            "stage": stage.pk,
            "owner": member.pk,
            "custom_fields": {"budget": 900},
        },
    )
    bad = post(
        client,
        "/api/v1/leads",
        {
            "email": "b@example.com",
            "stage": 9999,
            "owner": 9999,
            "custom_fields": {"budget": "lots", "shoe": 1},
        },
    )

    assert good.status_code == 201
    assert (good.json()["stage"], good.json()["owner"]) == (stage.pk, member.pk)
    fields = {detail["field"] for detail in bad.json()["error"]["details"]}
    assert fields == {"stage", "owner", "custom_fields.budget", "custom_fields.shoe"}


def test_member_role_may_work_with_leads(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")

    response = bearer_client(fixture.workspace, member.email).post(
        "/api/v1/leads", {"email": "m@example.com"}, content_type="application/json"
    )

    assert response.status_code == 201


def test_every_lead_route_of_another_workspace_is_404_or_401(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_api, beta_api = api(alpha), api(beta)
    lead = post(alpha_api, "/api/v1/leads", {"email": "secret@alpha.example"}).json()
    path = f"/api/v1/leads/{lead['id']}"
    alpha_token = alpha_api.defaults["HTTP_AUTHORIZATION"]

    assert beta_api.get(path).status_code == 404
    assert patch(beta_api, path, {"status": "lost"}).status_code == 404
    assert beta_api.delete(path).status_code == 404
    listed = beta_api.get("/api/v1/leads?q=secret")
    assert listed.json()["items"] == []
    stolen = Client(HTTP_HOST=beta.host, HTTP_AUTHORIZATION=alpha_token)
    assert stolen.get("/api/v1/leads").status_code == 401
    assert "secret@alpha.example" not in beta_api.get("/api/v1/events").text
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get(pk=lead["id"]).status == "new"


def test_event_log_lists_changes_newest_first(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "e@example.com"}).json()
    patch(client, f"/api/v1/leads/{lead['id']}", {"company": "Acme"})

    events = client.get(f"/api/v1/events?object_type=lead&object_id={lead['id']}").json()

    assert [event["verb"] for event in events["items"]] == ["updated", "created"]
    assert events["items"][0]["changes"]["company"] == {"before": "", "after": "Acme"}


def test_openapi_lists_every_crm_route_with_examples(make_workspace) -> None:
    schema = make_workspace().client().get("/api/v1/openapi.json").json()

    paths = set(schema["paths"])
    for path in (
        "/api/v1/leads",
        "/api/v1/leads/{lead_id}",
        "/api/v1/leads/{lead_id}/timeline",
        "/api/v1/leads/bulk",
        "/api/v1/leads/import",
        "/api/v1/leads/export",
        "/api/v1/imports/{import_id}",
        "/api/v1/products",
        "/api/v1/pipeline-stages",
        "/api/v1/tasks",
        "/api/v1/campaigns",
        "/api/v1/custom-fields",
        "/api/v1/messages",
        "/api/v1/events",
        "/api/v1/analytics/summary",
    ):
        assert path in paths, path
    assert schema["components"]["schemas"]["LeadIn"]["examples"]
