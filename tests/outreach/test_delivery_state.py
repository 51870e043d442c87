"""The lead's outreach record (crm.Message) and the delivery engine's state of each attempt
(outreach.Delivery) are apart: a message carries no claim, lease or attempt count of its
own; its delivery row is written by the claim, counts every attempt, and stays after the
message settles."""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Message
from outreach.delivery import start_campaign
from outreach.models import Delivery
from tests.support.clients import post
from tests.support.email import ready_campaign, run_jobs

DELIVERY_STATE = {"batch_key", "lease_until", "attempts", "attempted_at"}


def delivery_rows() -> list[dict[str, Any]]:
    rows = Delivery.objects.order_by("message_id").values(
        "message_id", "message__status", "batch_key", "lease_until", "attempts"
    )
    return [dict(row) for row in rows]


def test_a_message_carries_no_delivery_state_and_has_no_delivery_row_until_claimed(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})

    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])  # the audience is frozen, nothing claimed
        with connection.cursor() as cursor:
            columns = {
                column.name
                for column in connection.introspection.get_table_description(cursor, "crm_message")
            }
        queued = Message.objects.filter(campaign_id=campaign["id"]).count()
        rows = delivery_rows()
    listed = client.get(f"/api/v1/campaigns/{campaign['id']}/messages").json()

    assert "status" in columns and "to_email" in columns
    assert not columns & DELIVERY_STATE
    assert not {field.name for field in Message._meta.concrete_fields} & DELIVERY_STATE
    assert queued == 2 and rows == []
    assert [(item["status"], item["attempts"]) for item in listed["items"]] == [
        ("queued", 0),
        ("queued", 0),
    ]


def test_a_sent_message_keeps_its_delivery_row_with_the_batch_key_it_went_under(
    two_workspaces, postmark
) -> None:
    fixture, other = two_workspaces
    client, campaign = ready_campaign(fixture, leads=2)
    other_client, _ = ready_campaign(other, leads=1)  # a draft: none of its messages exist
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})

    run_jobs(fixture.workspace, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        rows = delivery_rows()
        attempted = set(Delivery.objects.values_list("attempted_at", flat=True))
    with schema_context(other.workspace.schema_name):
        others = delivery_rows()
    listed = client.get(f"/api/v1/campaigns/{campaign['id']}/messages").json()
    from_elsewhere = other_client.get(f"/api/v1/campaigns/{campaign['id']}/messages")

    sent_under = {email["Metadata"]["crm_batch"] for email in postmark.received}
    assert [(row["message__status"], row["attempts"], row["lease_until"]) for row in rows] == [
        ("sent", 1, None),
        ("sent", 1, None),
    ]
    assert {row["batch_key"].hex for row in rows} == sent_under and len(sent_under) == 1
    assert None not in attempted
    assert [item["attempts"] for item in listed["items"]] == [1, 1]
    assert others == []
    # The same id in the other workspace is its own (unsent) campaign, or none: never ours.
    assert from_elsewhere.status_code == 404 or from_elsewhere.json()["items"] == []


def test_each_claim_is_one_more_attempt_after_a_lost_answer_is_reconciled_and_requeued(
    make_workspace, postmark
) -> None:
    """Postmark answers 500 (it may or may not have taken the batch): the claim stays held
    under its lease, is looked up by its batch key once the lease has run out, is not
    found, goes back to the queue, and the next claim is the message's second attempt."""
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    postmark.fail_next = [500]
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    while_held: list[dict[str, Any]] = []

    def sleep_watching_the_claim(seconds: float) -> None:
        if not while_held:  # the first pause after the failed call: the claim is still held
            while_held.extend(delivery_rows())
            while_held.append({"now": timezone.now()})
        time.sleep(seconds)

    run = run_jobs(fixture.workspace, campaign["id"], sleep=sleep_watching_the_claim)
    with schema_context(fixture.workspace.schema_name):
        after = delivery_rows()
    listed = client.get(f"/api/v1/campaigns/{campaign['id']}/messages").json()

    *held, moment = while_held
    assert [(row["message__status"], row["attempts"]) for row in held] == [
        ("sending", 1),
        ("sending", 1),
    ]
    assert all(row["lease_until"] > moment["now"] for row in held)
    assert run.reconciled == 2 and run.outcome == "done"
    assert postmark.batches == [2]  # the refused call took nothing; one email each after
    assert sorted(email["To"] for email in postmark.received) == [
        f"lead0@{fixture.workspace.slug}.example",
        f"lead1@{fixture.workspace.slug}.example",
    ]
    assert [(row["message__status"], row["attempts"], row["lease_until"]) for row in after] == [
        ("sent", 2, None),
        ("sent", 2, None),
    ]
    first_key, second_key = held[0]["batch_key"], after[0]["batch_key"]
    assert first_key != second_key
    assert {email["Metadata"]["crm_batch"] for email in postmark.received} == {second_key.hex}
    assert [item["attempts"] for item in listed["items"]] == [2, 2]
