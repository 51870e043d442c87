"""GET /api/v1/leads: filters, sort, limits and cursors that hold while rows arrive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead, PipelineStage
from tests.support.clients import api


@pytest.fixture
def seeded(make_workspace):
    fixture = make_workspace()
    start = timezone.now() - timedelta(days=30)
    with schema_context(fixture.workspace.schema_name):
        qualified = PipelineStage.objects.get(name="Qualified")
        Lead.objects.bulk_create(
            Lead(
                first_name=f"Person{i}",
                last_name=f"Zed{i:02d}",
                email=f"p{i}@example.com",
                company="Globex" if i % 5 == 0 else "Initech",
                source="ads" if i % 2 else "referral",
                status="qualified" if i < 10 else "new",
                tags=["vip"] if i % 3 == 0 else ["cold"],
                stage=qualified if i < 4 else None,
                created_at=start + timedelta(hours=i),
                updated_at=start + timedelta(hours=i),
            )
            for i in range(25)
        )
        Lead.objects.create(
            first_name="Phone",
            last_name="Only",
            phone="+1 202 555 0100",
            created_at=start - timedelta(days=1),
        )
    return fixture, qualified


def emails(response) -> list[str | None]:
    return [lead["email"] for lead in response.json()["items"]]


def test_first_page_is_newest_first_with_a_cursor(seeded) -> None:
    fixture, _ = seeded

    response = api(fixture).get("/api/v1/leads?limit=5&with_total=true")

    assert emails(response) == [f"p{i}@example.com" for i in (24, 23, 22, 21, 20)]
    assert response.json()["next"]
    assert response.json()["total"] == 26


def test_walking_every_page_sees_every_lead_once(seeded) -> None:
    fixture, _ = seeded
    client, seen, cursor = api(fixture), [], ""

    while True:
        page = client.get(f"/api/v1/leads?limit=7&cursor={cursor}").json()
        seen += [lead["id"] for lead in page["items"]]
        if not page["next"]:
            break
        cursor = page["next"]

    assert len(seen) == len(set(seen)) == 26


def test_cursor_stays_correct_while_rows_are_inserted(seeded) -> None:
    fixture, _ = seeded
    client = api(fixture)
    first = client.get("/api/v1/leads?limit=10").json()
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.create(email="new1@example.com")
        Lead.objects.create(email="new2@example.com")

    second = client.get(f"/api/v1/leads?limit=10&cursor={first['next']}").json()

    assert [lead["email"] for lead in second["items"]] == [
        f"p{i}@example.com" for i in range(14, 4, -1)
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag=vip", {f"p{i}@example.com" for i in range(0, 25, 3)}),
        ("tag=vip&tag=cold", set()),
        ("source=ads&status=qualified", {f"p{i}@example.com" for i in (1, 3, 5, 7, 9)}),
        ("q=globex", {f"p{i}@example.com" for i in range(0, 25, 5)}),
        ("q=zed07", {"p7@example.com"}),
        ("q=P11@EXAMPLE", {"p11@example.com"}),
        ("has_email=false", {None}),
    ],
)
def test_filters(seeded, query: str, expected: set) -> None:
    fixture, _ = seeded

    response = api(fixture).get(f"/api/v1/leads?limit=200&{query}")

    assert set(emails(response)) == expected


def test_stage_and_date_filters(seeded) -> None:
    fixture, qualified = seeded
    client = api(fixture)
    with schema_context(fixture.workspace.schema_name):
        cutoff = Lead.objects.get(email="p20@example.com").created_at

    by_stage = client.get(f"/api/v1/leads?stage={qualified.pk}")
    recent = client.get(f"/api/v1/leads?created_after={cutoff.isoformat().replace('+', '%2B')}")

    assert set(emails(by_stage)) == {f"p{i}@example.com" for i in range(4)}
    assert set(emails(recent)) == {f"p{i}@example.com" for i in range(20, 25)}


def test_sort_by_last_name_ascending(seeded) -> None:
    fixture, _ = seeded

    page = api(fixture).get("/api/v1/leads?sort=last_name&limit=3").json()
    second = api(fixture).get(f"/api/v1/leads?sort=last_name&limit=3&cursor={page['next']}")

    assert [lead["last_name"] for lead in page["items"]] == ["Only", "Zed00", "Zed01"]
    assert [lead["last_name"] for lead in second.json()["items"]] == ["Zed02", "Zed03", "Zed04"]


def test_limit_over_200_is_422(seeded) -> None:
    response = api(seeded[0]).get("/api/v1/leads?limit=201")

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "limit"


def test_malformed_cursor_is_400(seeded) -> None:
    client = api(seeded[0])

    garbage = client.get("/api/v1/leads?cursor=not-a-cursor")
    other_sort = client.get("/api/v1/leads?limit=2").json()["next"]
    mismatched = client.get(f"/api/v1/leads?sort=last_name&cursor={other_sort}")

    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "malformed_cursor"
    assert mismatched.status_code == 400


def test_unknown_sort_is_422(seeded) -> None:
    response = api(seeded[0]).get("/api/v1/leads?sort=password")

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "sort"


def test_list_items_have_exactly_the_shape_of_the_lead_resource(seeded) -> None:
    fixture, qualified = seeded
    client = api(fixture)

    listed = client.get("/api/v1/leads?limit=200").json()["items"]

    for item in listed:
        assert item == client.get(f"/api/v1/leads/{item['id']}").json()
    assert any(item["stage"] == qualified.pk for item in listed)
