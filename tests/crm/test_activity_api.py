"""Tasks, messages and the lead timeline."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead
from tests.support.clients import add_member, api, patch, post


def test_task_lifecycle_and_overdue_filter(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    member = add_member(fixture.workspace, "member")
    past = (timezone.now() - timedelta(days=1)).isoformat()
    future = (timezone.now() + timedelta(days=1)).isoformat()

    late = post(
        client, "/api/v1/tasks", {"title": "Late", "due_at": past, "assignee": member.pk}
    ).json()
    post(client, "/api/v1/tasks", {"title": "Later", "due_at": future})
    overdue = client.get("/api/v1/tasks?overdue=true").json()["items"]
    done = patch(client, f"/api/v1/tasks/{late['id']}", {"done": True}).json()
    overdue_after = client.get("/api/v1/tasks?overdue=true").json()["items"]
    mine = client.get(f"/api/v1/tasks?assignee={member.pk}").json()["items"]

    assert [task["title"] for task in overdue] == ["Late"]
    assert done["done_at"] is not None
    assert overdue_after == []
    assert [task["id"] for task in mine] == [late["id"]]


def test_task_validation(make_workspace) -> None:
    client = api(make_workspace())

    response = post(client, "/api/v1/tasks", {"title": "", "lead": 999, "assignee": 999})

    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"title", "lead", "assignee"}


def test_logging_a_message_moves_last_contacted(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    lead = post(client, "/api/v1/leads", {"email": "m@example.com"}).json()

    logged = post(
        client,
        "/api/v1/messages",
        {"lead": lead["id"], "channel": "call", "body": "Talked about the cohort"},
    )
    invalid = post(client, "/api/v1/messages", {"lead": lead["id"], "channel": "fax"})
    listed = client.get(f"/api/v1/messages?lead={lead['id']}").json()["items"]

    assert logged.status_code == 201
    assert invalid.status_code == 422
    assert [message["id"] for message in listed] == [logged.json()["id"]]
    assert client.get(f"/api/v1/leads/{lead['id']}").json()["last_contacted_at"] is not None


def test_timeline_merges_messages_events_and_tasks_newest_first(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "t@example.com"}).json()
    post(client, "/api/v1/tasks", {"title": "Follow up", "lead": lead["id"]})
    post(client, "/api/v1/messages", {"lead": lead["id"], "channel": "note", "body": "Hi"})
    patch(client, f"/api/v1/leads/{lead['id']}", {"status": "contacted"})

    timeline = client.get(f"/api/v1/leads/{lead['id']}/timeline").json()

    assert [entry["kind"] for entry in timeline] == ["event", "message", "task", "event"]
    assert timeline[0]["data"]["changes"]["status"]["after"] == "contacted"


def test_activity_of_another_workspace_is_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_api, beta_api = api(alpha), api(beta)
    lead = post(alpha_api, "/api/v1/leads", {"email": "x@alpha.example"}).json()
    task = post(alpha_api, "/api/v1/tasks", {"title": "Secret task", "lead": lead["id"]}).json()
    post(
        alpha_api,
        "/api/v1/messages",
        {"lead": lead["id"], "channel": "note", "body": "Secret note"},
    )
    with schema_context(beta.workspace.schema_name):
        assert not Lead.objects.filter(pk=lead["id"]).exists()

    assert beta_api.get(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert patch(beta_api, f"/api/v1/tasks/{task['id']}", {"done": True}).status_code == 404
    assert beta_api.delete(f"/api/v1/tasks/{task['id']}").status_code == 404
    assert beta_api.get(f"/api/v1/leads/{lead['id']}/timeline").status_code == 404
    assert (
        post(beta_api, "/api/v1/messages", {"lead": lead["id"], "channel": "note"}).status_code
        == 422
    )
    assert "Secret" not in beta_api.get("/api/v1/messages").text
    assert "Secret" not in beta_api.get("/api/v1/tasks").text
