"""Datetimes PostgreSQL cannot store (an offset of 16 hours or more, a moment outside the
years 1 to 9999 once in UTC) are a 422 naming the field in every filter and body; every
datetime the API answers with is ISO 8601 with its offset."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest
from django_tenants.utils import schema_context

from crm.models import Message
from tests.support.clients import api, patch, post
from tests.support.email import add_leads, campaign_row, set_postal_address
from tests.support.pages import draft, page_text
from tests.support.webhooks import deliver_event

UNSTORABLE = [
    "2026-01-01T00:00:00+20:00",
    "2026-01-01T00:00:00-16:00",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+05:00",
]
UNPARSABLE = ["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z"]


def _named(response) -> list[str]:
    assert response.status_code == 422, response.content
    return [detail["field"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize("moment", UNSTORABLE + UNPARSABLE)
def test_unstorable_datetimes_are_422_in_every_filter_and_body(make_workspace, moment) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example"}).json()
    campaign = post(client, "/api/v1/campaigns", {"name": "C"}).json()
    task = post(client, "/api/v1/tasks", {"title": "T"}).json()
    quoted = quote(moment)

    answers = {
        "created_after": client.get(f"/api/v1/leads?created_after={quoted}"),
        "updated_before": client.get(f"/api/v1/leads/export?updated_before={quoted}"),
        "since": client.get(f"/api/v1/analytics/summary?since={quoted}"),
        "until": client.get(f"/api/v1/analytics/summary?until={quoted}"),
        "due_at": post(client, "/api/v1/tasks", {"title": "T", "due_at": moment}),
        "occurred_at": post(
            client,
            "/api/v1/messages",
            {"lead": lead["id"], "channel": "call", "occurred_at": moment},
        ),
        "scheduled_at": post(client, "/api/v1/campaigns", {"name": "C", "scheduled_at": moment}),
        "audience.created_after": post(
            client, "/api/v1/audiences/count", {"audience": {"created_after": moment}}
        ),
        "filter.created_before": post(
            client,
            "/api/v1/leads/bulk",
            {"action": "tag", "value": ["x"], "filter": {"created_before": moment}},
        ),
    }
    later = {
        "due_at": patch(client, f"/api/v1/tasks/{task['id']}", {"due_at": moment}),
        "scheduled_at": post(
            client, f"/api/v1/campaigns/{campaign['id']}/schedule", {"scheduled_at": moment}
        ),
    }

    for field, response in [*answers.items(), *later.items()]:
        assert _named(response) == [field], (field, response.content)


def test_the_furthest_storable_moments_are_accepted(make_workspace) -> None:
    client = api(make_workspace())

    for moment in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-06-01T00:00:00+15:59"):
        response = post(client, "/api/v1/tasks", {"title": "T", "due_at": moment})
        assert response.status_code == 201, (moment, response.content)


def test_a_forged_cursor_with_an_unstorable_moment_is_400(make_workspace) -> None:
    raw = json.dumps({"s": "-created_at", "v": {"dt": "2026-01-01T00:00:00+20:00"}, "id": 1})
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()

    response = api(make_workspace()).get(f"/api/v1/leads?cursor={cursor}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_cursor"


def test_a_webhook_moment_postgresql_cannot_hold_counts_as_now(sent) -> None:
    fixture, _, messages, client = sent

    response = deliver_event(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": messages[0].provider_id,
            "DeliveredAt": "2026-11-25T10:00:00+20:00",
        },
    )

    assert response.status_code == 200, response.content
    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.get(pk=messages[0].pk).delivered_at is not None


ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def test_every_datetime_answered_carries_its_offset(make_workspace) -> None:
    client = api(make_workspace())
    lead = post(client, "/api/v1/leads", {"email": "a@x.example", "consent": True}).json()
    task = post(client, "/api/v1/tasks", {"title": "T", "due_at": "2026-12-01T10:00:00+02:00"})
    listed = client.get("/api/v1/leads").json()["items"][0]

    moments = [
        lead["created_at"],
        lead["updated_at"],
        lead["consent_at"],
        listed["created_at"],
        listed["consent_at"],
        task.json()["due_at"],
        task.json()["created_at"],
    ]

    assert all(ISO_WITH_OFFSET.match(moment) for moment in moments), moments


def test_scheduling_on_the_page_past_year_9999_in_utc_is_a_form_error(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)

    response = fixture.signed_in_client().post(
        f"/campaigns/{campaign_id}/schedule/",
        {"scheduled_at": "9999-12-31T23:30", "tz_offset": "300"},  # UTC-5: year 10000 in UTC
    )

    assert response.status_code == 422
    assert "Pick a date before the year 10000." in page_text(response)
    assert campaign_row(fixture.workspace, campaign_id).scheduled_at is None
