"""The lead tallies the dashboard and GET /analytics/summary read stay equal to counting the
leads, whatever path changes them: services, the API, bulk actions, the CSV import, a
deleted stage, raw SQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django_tenants.utils import schema_context

from accounts.models import User
from crm.models import Lead, LeadStageTally, LeadTally, PipelineStage
from crm.services.catalog import delete_stage
from crm.services.leads import create_lead, delete_lead, update_lead
from tests.support.clients import api, patch, post
from tests.support.leads import upload
from tests.support.pages import page_text


def _tallies_match_the_leads(fixture) -> dict[str, int]:
    """Assert both tallies equal a fresh count of the leads; return the counts by status."""
    with schema_context(fixture.workspace.schema_name):
        hourly = {
            (row["hour"].astimezone(UTC), row["source"]): (row["n"], row["customers"])
            for row in Lead.objects.annotate(hour=TruncHour("created_at", tzinfo=UTC))
            .values("hour", "source")
            .annotate(n=Count("id"), customers=Count("id", filter=Q(status="customer")))
        }
        tallied = {
            (hour.astimezone(UTC), source): (count, customers)
            for hour, source, count, customers in LeadTally.objects.values_list(
                "hour", "source", "count", "customers"
            )
            if count or customers
        }
        by_stage = Counter(
            {
                (row["stage_id"] or 0, row["source"], row["status"]): row["n"]
                for row in Lead.objects.values("stage_id", "source", "status").annotate(
                    n=Count("id")
                )
            }
        )
        stage_tallied = Counter(
            {
                (stage, source, status): count
                for stage, source, status, count in LeadStageTally.objects.values_list(
                    "stage_id", "source", "status", "count"
                )
                if count
            }
        )
        assert tallied == hourly
        assert stage_tallied == by_stage
        return dict(Lead.objects.values_list("status").annotate(n=Count("id")))


def test_the_numbers_follow_every_way_leads_change(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    schema = fixture.workspace.schema_name
    with schema_context(schema):
        owner = User.objects.get()
        won = PipelineStage.objects.get(name="Won").pk
        proposal = PipelineStage.objects.get(name="Proposal").pk

    # Services.
    with schema_context(schema):
        first = create_lead(actor=owner, email="ada@example.com", source="referral").pk
        second = create_lead(actor=owner, email="alan@example.com", source="ads").pk
        update_lead(actor=owner, lead_id=first, changes={"status": "customer", "stage": won})
        delete_lead(actor=owner, lead_id=second)
    assert _tallies_match_the_leads(fixture) == {"customer": 1}

    # The API.
    ids = [
        post(
            client, "/api/v1/leads", {"email": f"api{n}@example.com", "source": "web_form"}
        ).json()["id"]
        for n in range(4)
    ]
    patch(client, f"/api/v1/leads/{ids[0]}", {"status": "qualified", "source": "social"})
    assert client.delete(f"/api/v1/leads/{ids[1]}").status_code == 204
    assert _tallies_match_the_leads(fixture) == {"customer": 1, "new": 2, "qualified": 1}

    # Bulk actions: a tag changes no number, a stage move and a delete do.
    for body in (
        {"action": "tag", "ids": ids, "value": ["vip"]},
        {"action": "move_stage", "ids": ids, "value": proposal},
        {"action": "delete", "ids": [ids[2]]},
    ):
        assert post(client, "/api/v1/leads/bulk", body).status_code == 200
    assert _tallies_match_the_leads(fixture) == {"customer": 1, "new": 1, "qualified": 1}

    # The CSV import: new rows, and an existing lead updated in the same statement.
    csv_text = (
        "email,first_name,status,source\n"
        "new1@example.com,Grace,new,import\n"
        "new2@example.com,Linus,customer,import\n"
        "ada@example.com,Ada,lost,import\n"
    )
    imported = upload(client, csv_text, on_duplicate="update").json()
    assert imported["created_count"] == 2 and imported["updated_count"] == 1
    assert _tallies_match_the_leads(fixture) == {"customer": 1, "lost": 1, "new": 2, "qualified": 1}

    # A deleted stage moves its leads to "no stage"; raw SQL is counted too.
    with schema_context(schema):
        delete_stage(actor=owner, stage_id=proposal)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE crm_lead SET created_at = created_at - interval '3 days', "
                "status = 'contacted' WHERE email = 'new1@example.com'"
            )
    assert _tallies_match_the_leads(fixture) == {
        "contacted": 1,
        "customer": 1,
        "lost": 1,
        "new": 1,
        "qualified": 1,
    }

    # And what people see agrees: the API's summary and the dashboard.
    summary = client.get("/api/v1/analytics/summary").json()
    assert summary["total_leads"] == 5
    assert summary["by_status"] == {
        "contacted": 1,
        "customer": 1,
        "lost": 1,
        "new": 1,
        "qualified": 1,
    }
    assert summary["new_leads"] == 5  # moved back three days, still within the 30
    assert "Total leads 5 1 customer" in page_text(fixture.signed_in_client().get("/"))


def test_counts_over_a_range_are_exact_at_any_minute(make_workspace) -> None:
    """Whole hours come from the tally, the minutes at either end from the leads."""
    fixture = make_workspace()
    client = api(fixture)
    base = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.bulk_create(
            Lead(email=f"m{minute}@example.com", created_at=base + timedelta(minutes=minute))
            for minute in range(0, 180, 10)  # 10:00, 10:10, ... 12:50
        )

    def new_leads(since: str, until: str) -> int:
        url = f"/api/v1/analytics/summary?since={since}&until={until}"
        return int(client.get(url.replace("+", "%2B")).json()["new_leads"])

    assert new_leads("2026-03-02T10:15:00+00:00", "2026-03-02T12:25:00+00:00") == 13
    assert new_leads("2026-03-02T10:00:00+00:00", "2026-03-02T11:00:00+00:00") == 6
    assert new_leads("2026-03-02T10:05:00+00:00", "2026-03-02T10:35:00+00:00") == 3
    assert new_leads("2026-03-02T13:00:00+00:00", "2026-03-02T14:00:00+00:00") == 0
