"""Bulk actions, CSV export, analytics and campaign drafts."""

from __future__ import annotations

import csv
import io

from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, PipelineStage
from tests.support.clients import api, patch, post
from tests.support.leads import body_of


def make_leads(client, count: int, **extra) -> list[int]:
    return [
        post(client, "/api/v1/leads", {"email": f"l{i}@example.com", **extra}).json()["id"]
        for i in range(count)
    ]


def test_bulk_tag_untag_by_ids_writes_one_event_per_lead(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    ids = make_leads(client, 3, tags=["old"])

    tagged = post(
        client, "/api/v1/leads/bulk", {"action": "tag", "ids": ids[:2], "value": ["VIP", "webinar"]}
    )
    untagged = post(client, "/api/v1/leads/bulk", {"action": "untag", "ids": ids, "value": ["old"]})

    assert tagged.json() == {"action": "tag", "affected": 2}
    assert untagged.json()["affected"] == 3
    assert client.get(f"/api/v1/leads/{ids[0]}").json()["tags"] == ["vip", "webinar"]
    assert client.get(f"/api/v1/leads/{ids[2]}").json()["tags"] == []
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(changes__bulk="tag").count() == 2


def test_bulk_move_stage_and_delete_by_filter(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    make_leads(client, 2, tags=["cold"])
    keep = post(client, "/api/v1/leads", {"email": "keep@example.com"}).json()["id"]
    with schema_context(fixture.workspace.schema_name):
        won = PipelineStage.objects.get(name="Won").pk

    moved = post(
        client,
        "/api/v1/leads/bulk",
        {"action": "move_stage", "filter": {"tag": ["cold"]}, "value": won},
    )
    deleted = post(client, "/api/v1/leads/bulk", {"action": "delete", "filter": {"stage": won}})

    assert moved.json()["affected"] == 2
    assert deleted.json()["affected"] == 2
    assert [lead["id"] for lead in client.get("/api/v1/leads").json()["items"]] == [keep]


def test_bulk_input_errors_change_nothing(make_workspace) -> None:
    client = api(make_workspace())
    ids = make_leads(client, 2)

    both = post(
        client, "/api/v1/leads/bulk", {"action": "tag", "ids": ids, "filter": {}, "value": ["x"]}
    )
    unknown = post(client, "/api/v1/leads/bulk", {"action": "explode", "ids": ids})
    bad_owner = post(
        client, "/api/v1/leads/bulk", {"action": "assign_owner", "ids": ids, "value": 999}
    )

    assert both.status_code == unknown.status_code == bad_owner.status_code == 422
    assert all(lead["owner"] is None for lead in client.get("/api/v1/leads").json()["items"])


def test_bulk_ids_of_another_workspace_match_nothing(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_ids = make_leads(api(alpha), 2)

    response = post(api(beta), "/api/v1/leads/bulk", {"action": "delete", "ids": alpha_ids})

    assert response.json()["affected"] == 0
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.count() == 2


def test_export_streams_every_matching_lead_as_csv(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    make_leads(client, 3, tags=["a", "b"])
    post(client, "/api/v1/leads", {"email": "other@example.com", "company": 'Quote "Co", Ltd'})

    everything = client.get("/api/v1/leads/export")
    tagged = client.get("/api/v1/leads/export?tag=a")

    rows = list(csv.DictReader(io.StringIO(body_of(everything))))
    tagged_rows = list(csv.DictReader(io.StringIO(body_of(tagged))))
    assert everything["Content-Type"].startswith("text/csv")
    assert len(rows) == 4
    assert {row["company"] for row in rows} == {"", 'Quote "Co", Ltd'}
    assert {row["tags"] for row in tagged_rows} == {"a;b"}


def test_export_of_another_workspace_holds_only_its_own(two_workspaces) -> None:
    alpha, beta = two_workspaces
    make_leads(api(alpha), 2)

    exported = body_of(api(beta).get("/api/v1/leads/export"))

    assert exported.strip().count("\n") == 0  # header only


def test_analytics_summary(make_workspace) -> None:
    client = api(make_workspace())
    ids = make_leads(client, 4, source="ads")
    patch(client, f"/api/v1/leads/{ids[0]}", {"status": "customer"})
    post(client, "/api/v1/messages", {"lead": ids[1], "channel": "call"})

    body = client.get("/api/v1/analytics/summary?period=week").json()

    assert body["total_leads"] == 4
    assert body["by_source"] == {"ads": 4}
    assert body["by_status"] == {"customer": 1, "new": 3}
    assert body["conversion_rate"] == 0.25
    assert body["messages_by_channel"] == [{"channel": "call", "direction": "outbound", "count": 1}]
    assert sum(row["count"] for row in body["new_leads_by_period"]) == 4


def test_campaign_draft_and_audience_preview_excludes_unsubscribed(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    ids = make_leads(client, 3, tags=["launch"])
    post(client, "/api/v1/leads", {"phone": "+1 202 555 0100", "tags": ["launch"]})
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.filter(pk=ids[0]).update(unsubscribed_at="2026-01-01T00:00:00Z")

    campaign = post(
        client,
        "/api/v1/campaigns",
        {"name": "Launch", "subject": "Doors open", "audience": {"tag": ["launch"]}},
    ).json()
    audience = client.get(f"/api/v1/campaigns/{campaign['id']}/audience").json()
    bad = post(client, "/api/v1/campaigns", {"name": "X", "audience": {"salary": 1}})

    assert campaign["status"] == "draft"
    assert audience["count"] == 2
    assert {lead["id"] for lead in audience["sample"]} == set(ids[1:])
    assert bad.status_code == 422


def test_campaigns_of_another_workspace_are_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    campaign = post(api(alpha), "/api/v1/campaigns", {"name": "Secret launch"}).json()
    beta_api = api(beta)

    for path in (
        f"/api/v1/campaigns/{campaign['id']}",
        f"/api/v1/campaigns/{campaign['id']}/audience",
    ):
        assert beta_api.get(path).status_code == 404
    assert patch(beta_api, f"/api/v1/campaigns/{campaign['id']}", {"name": "x"}).status_code == 404
    assert "Secret" not in beta_api.get("/api/v1/campaigns").text


def test_only_draft_campaigns_can_be_edited(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    campaign = post(client, "/api/v1/campaigns", {"name": "Launch"}).json()
    with schema_context(fixture.workspace.schema_name):
        from outreach.models import Campaign

        Campaign.objects.filter(pk=campaign["id"]).update(status="sent")

    response = patch(client, f"/api/v1/campaigns/{campaign['id']}", {"name": "Renamed"})

    assert response.status_code == 409
    assert client.get(f"/api/v1/campaigns/{campaign['id']}").json()["name"] == "Launch"


def test_an_export_read_after_another_workspace_was_served_holds_only_its_own(
    two_workspaces,
) -> None:
    """The CSV streams after the view returns; by then the connection may serve another
    workspace (here: beta's request in between). The rows still come from alpha."""
    alpha, beta = two_workspaces
    make_leads(api(alpha), 2)
    for i in range(3):
        post(api(beta), "/api/v1/leads", {"email": f"b{i}@beta-only.example"})
    alpha_client = api(alpha)

    streaming = alpha_client.get("/api/v1/leads/export")
    assert api(beta).get("/api/v1/leads").status_code == 200  # the connection is beta's now
    exported = body_of(streaming)

    assert exported.strip().count("\n") == 2
    assert "beta-only" not in exported
