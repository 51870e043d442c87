"""Sending a campaign to the Postmark double: batches of 500, each lead once, suppression,
per-message refusals, retries with backoff on every failure kind, pause, resume, cancel,
the send rate, progress and stats, and isolation between workspaces."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from mail.models import PendingSend
from outreach.delivery import start_campaign
from outreach.delivery.sender import deliver
from outreach.models import Campaign, Suppression
from tests.support.clients import api, patch, post
from tests.support.email import (
    add_leads,
    campaign_row,
    create_campaign,
    ready_campaign,
    run_jobs,
    set_postal_address,
)
from tests.support.fakes import FakePostmark


def send(client, campaign_id: int):
    return post(client, f"/api/v1/campaigns/{campaign_id}/send", {})


def test_a_campaign_reaches_every_lead_once_in_batches_of_500(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=1201)

    accepted = send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])
    stats = client.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()

    assert accepted.status_code == 202
    assert accepted.json()["status"] == "sending"
    assert run.outcome == "done"
    assert postmark.batches == [500, 500, 201]
    recipients = Counter(postmark.accepted_to())
    assert len(recipients) == 1201 and set(recipients.values()) == {1}
    assert stats["status"] == "sent"
    assert stats["audience_size"] == 1201
    assert stats["counts"]["sent"] == 1201
    assert stats["progress"]["percent"] == 100.0
    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.filter(campaign_id=campaign["id"], status="sent").count() == 1201
        assert not PendingSend.objects.exists()
        verbs = list(
            EventLog.objects.filter(object_type="campaign", object_id=campaign["id"])
            .order_by("at", "id")
            .values_list("verb", flat=True)
        )
    assert verbs == ["created", "send_started", "audience_frozen", "sent"]


def test_each_email_is_personal_with_footer_unsubscribe_headers_and_broadcast_stream(
    make_workspace, postmark
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client, campaign = ready_campaign(
        fixture,
        leads=1,
        html_template="<p>Hi {{ lead.first_name }} &amp; "
        "{{ lead.custom_fields.plan | default: 'all' }}</p>",
    )

    send(client, campaign["id"])
    run_jobs(fixture.workspace, campaign["id"])

    email = postmark.received[0]
    headers = {header["Name"]: header["Value"] for header in email["Headers"]}
    assert email["To"] == "lead0@alpha.example"
    assert email["Subject"] == "Name0, doors open Monday"
    assert email["MessageStream"] == "broadcast"
    assert email["From"] == "Alpha Coaching <no-reply@localhost>"
    assert email["TextBody"].startswith("Hi Name0,\n\nThe spring cohort of Alpha Coaching opens")
    assert "1 High Street, Bristol BS1 4DJ" in email["TextBody"]
    assert "Unsubscribe: http://alpha.localhost:8000/unsubscribe/" in email["TextBody"]
    assert email["HtmlBody"].startswith("<p>Hi Name0 &amp; all</p>")
    assert ">Unsubscribe</a>" in email["HtmlBody"]
    assert headers["List-Unsubscribe"].startswith("<http://alpha.localhost:8000/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with schema_context(fixture.workspace.schema_name):
        message = Message.objects.get()
    assert email["Metadata"]["crm_message"] == f"{fixture.workspace.pk}.{message.pk}"
    assert message.provider_id == email["_id"]
    assert message.subject == "Name0, doors open Monday"
    assert message.to_email == "lead0@alpha.example"


def test_suppressed_and_unsubscribed_leads_are_never_mailed(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=4)
    with schema_context(fixture.workspace.schema_name):
        leads = list(Lead.objects.order_by("id"))
        Suppression.objects.create(email=str(leads[0].email).upper(), reason="hard_bounce")
        Suppression.objects.create(email=str(leads[1].email), reason="spam_complaint")
        Lead.objects.filter(pk=leads[2].pk).update(unsubscribed_at="2026-01-01T00:00:00Z")

    send(client, campaign["id"])
    run_jobs(fixture.workspace, campaign["id"])

    assert postmark.accepted_to() == [leads[3].email]
    assert campaign_row(fixture.workspace, campaign["id"]).audience_size == 1


def test_a_lead_who_unsubscribes_after_the_audience_is_frozen_is_not_mailed(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    send(client, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        late = Lead.objects.order_by("id")[0]
        Lead.objects.filter(pk=late.pk).update(unsubscribed_at="2026-01-01T00:00:00Z")
        deliver(campaign_id=campaign["id"])
        skipped = Message.objects.get(lead=late)

    assert late.email not in postmark.accepted_to()
    assert len(postmark.accepted_to()) == 2
    assert skipped.status == "suppressed"
    assert campaign_row(fixture.workspace, campaign["id"]).suppressed_count == 1


def test_refusals_inside_a_200_batch_are_handled_per_message(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    slug = fixture.workspace.slug
    postmark.refuse = {f"lead0@{slug}.example": 406, f"lead1@{slug}.example": 300}

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    with schema_context(fixture.workspace.schema_name):
        inactive = Message.objects.get(to_email=f"lead0@{slug}.example")
        invalid = Message.objects.get(to_email=f"lead1@{slug}.example")
        suppressed = list(Suppression.objects.values_list("email", "reason"))
    assert (run.sent, run.failed, run.suppressed, run.retries) == (1, 1, 1, [])
    assert postmark.batches == [3]  # refused messages are not retried blindly
    assert inactive.status == "suppressed" and inactive.error_code == 406
    assert invalid.status == "failed" and "Refused by the double" in invalid.error
    assert suppressed == [(f"lead0@{slug}.example", "inactive")]
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.status, row.sent_count, row.failed_count, row.suppressed_count) == (
        "sent",
        1,
        1,
        1,
    )


def test_429_waits_as_long_as_retry_after_says_then_sends_once(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    postmark.fail_next, postmark.retry_after = [429], 1

    send(client, campaign["id"])
    started = time.monotonic()
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.retries == [1.0]
    assert time.monotonic() - started >= 1.0
    assert sorted(Counter(postmark.accepted_to()).values()) == [1, 1, 1]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_back_off_exponentially_and_never_duplicate(
    make_workspace, postmark, status: int
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    postmark.fail_next = [status, status, status]

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.retries == [0.05, 0.1, 0.2]
    assert run.outcome == "done"
    assert sorted(Counter(postmark.accepted_to()).values()) == [1, 1, 1]
    assert campaign_row(fixture.workspace, campaign["id"]).sent_count == 3


@pytest.mark.parametrize("failure", ["slow", "drop"])
def test_a_timeout_or_dropped_answer_is_reconciled_not_resent(
    make_workspace, postmark, failure: str
) -> None:
    """The double accepted the batch but the answer never came: the messages are looked up
    by their batch key after the lease, found, and marked sent without a second send."""
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    postmark.fail_next, postmark.slow_seconds = [failure], 1.3

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    time.sleep(0.2)  # the slow double finishes writing its (unread) answer
    assert run.retries == [0.05]
    assert run.reconciled == 3
    assert postmark.batches == [3]
    assert sorted(Counter(postmark.accepted_to()).values()) == [1, 1, 1]
    with schema_context(fixture.workspace.schema_name):
        providers = set(Message.objects.values_list("provider_id", flat=True))
        assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert providers == {message["_id"] for message in postmark.received}
    assert campaign_row(fixture.workspace, campaign["id"]).sent_count == 3


def test_a_refused_token_pauses_the_campaign_and_says_what_to_do(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    postmark.fail_next = [401]

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])
    resumed = post(client, f"/api/v1/campaigns/{campaign['id']}/resume", {})
    again = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "refused"
    assert resumed.status_code == 200
    assert again.outcome == "done"
    assert len(postmark.accepted_to()) == 2
    with schema_context(fixture.workspace.schema_name):
        paused_event = EventLog.objects.get(object_type="campaign", verb="paused")
    assert "401" in paused_event.changes["reason"]


def test_pause_holds_the_queue_and_resume_sends_the_rest_once(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=5)
    send(client, campaign["id"])

    with override_settings(CRM_SEND_BATCH_SIZE=2), schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        first = deliver(campaign_id=campaign["id"], seconds=0)  # hands over at once
        paused = post(client, f"/api/v1/campaigns/{campaign['id']}/pause", {})
        held = deliver(campaign_id=campaign["id"])
        queued_while_paused = Message.objects.filter(status="queued").count()
        resumed = post(client, f"/api/v1/campaigns/{campaign['id']}/resume", {})
        rest = deliver(campaign_id=campaign["id"])

    assert first.outcome == "handover"
    assert paused.json()["status"] == "paused"
    assert held.outcome == "paused" and held.sent == 0
    assert queued_while_paused == 5
    assert resumed.json()["status"] == "sending"
    assert rest.outcome == "done" and rest.sent == 5
    assert sorted(Counter(postmark.accepted_to()).values()) == [1] * 5


def test_cancel_marks_what_was_not_sent_and_nothing_more_goes(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=5)
    send(client, campaign["id"])

    with override_settings(CRM_SEND_BATCH_SIZE=2), schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        Message.objects.filter(pk__in=Message.objects.order_by("id").values("pk")[:2]).update(
            status="sent", sent_at="2026-01-01T00:00:00Z"
        )
        cancelled = post(client, f"/api/v1/campaigns/{campaign['id']}/cancel", {})
        after = deliver(campaign_id=campaign["id"])
        statuses = Counter(Message.objects.values_list("status", flat=True))
        left = PendingSend.objects.count()
    again = post(client, f"/api/v1/campaigns/{campaign['id']}/resume", {})

    assert cancelled.json()["status"] == "cancelled"
    assert after.outcome == "cancelled" and postmark.received == []
    assert statuses == {"sent": 2, "cancelled": 3}
    assert left == 0
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_campaign_state"


def test_the_workspace_send_rate_spaces_the_batches(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=30)
    fixture.workspace.email_send_rate = 10
    fixture.workspace.save(update_fields=["email_send_rate"])

    send(client, campaign["id"])
    run_jobs(fixture.workspace, campaign["id"])

    assert postmark.batches == [10, 10, 10]
    times = postmark.batch_times
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert all(gap >= 0.9 for gap in gaps), gaps


def test_a_scheduled_campaign_starts_when_the_sweep_finds_it_due(
    make_workspace, postmark, django_capture_on_commit_callbacks
) -> None:
    from outreach.delivery.sweep import sweep
    from project.celery import app

    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    at = (timezone.now() + timedelta(days=1)).isoformat()
    scheduled = post(client, f"/api/v1/campaigns/{campaign['id']}/schedule", {"scheduled_at": at})
    edit = patch(client, f"/api/v1/campaigns/{campaign['id']}", {"name": "Renamed"})
    not_yet = sweep()
    with schema_context(fixture.workspace.schema_name):
        PendingSend.objects.update(due_at="2020-01-01T00:00:00Z")
        Campaign.objects.filter(pk=campaign["id"]).update(scheduled_at="2020-01-01T00:00:00Z")
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            restarted = sweep()
    finally:
        app.conf.task_always_eager = False

    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled"
    assert edit.status_code == 409
    assert not_yet == 0 and restarted == 1
    assert len(postmark.accepted_to()) == 2
    assert campaign_row(fixture.workspace, campaign["id"]).status == "sent"


def test_the_sweep_restarts_a_send_whose_sender_went_quiet(make_workspace, postmark) -> None:
    from outreach.delivery.sweep import sweep

    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    send(client, campaign["id"])

    fresh = sweep()  # its sender has just been queued: nothing to restart
    with schema_context(fixture.workspace.schema_name):
        PendingSend.objects.update(heartbeat_at="2020-01-01T00:00:00Z")
    stale = sweep()
    twice = sweep()  # the first sweep claimed it

    assert (fresh, stale, twice) == (0, 1, 0)


def test_sending_needs_a_postal_address_and_an_audience(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client = api(fixture)
    campaign = create_campaign(client, audience={"tag": ["nobody"]})

    no_address = send(client, campaign["id"])
    set_postal_address(fixture.workspace)
    no_audience = send(client, campaign["id"])
    blank = create_campaign(client, subject="", body_template="")
    unfinished = send(client, blank["id"])

    assert no_address.status_code == 409
    assert "postal address" in no_address.json()["error"]["message"]
    assert no_audience.status_code == 409
    assert no_audience.json()["error"]["code"] == "campaign_not_ready"
    assert unfinished.status_code == 422
    assert {d["field"] for d in unfinished.json()["error"]["details"]} == {
        "subject",
        "body_template",
    }
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"


def test_state_changes_out_of_order_are_409_and_bad_times_422(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=1)
    path = f"/api/v1/campaigns/{campaign['id']}"

    pause_draft = post(client, f"{path}/pause", {})
    past = post(client, f"{path}/schedule", {"scheduled_at": "2020-01-01T00:00:00Z"})
    naive = post(client, f"{path}/schedule", {"scheduled_at": "not a time"})
    send(client, campaign["id"])
    twice = send(client, campaign["id"])
    deleted = client.delete(path)

    assert pause_draft.status_code == 409
    assert past.status_code == 422 and past.json()["error"]["details"][0]["field"] == "scheduled_at"
    assert naive.status_code == 422
    assert twice.status_code == 409
    assert deleted.status_code == 409


def test_members_cannot_send_campaigns(make_workspace, postmark) -> None:
    from tests.support.clients import add_member, bearer_client

    fixture = make_workspace()
    _, campaign = ready_campaign(fixture, leads=1)
    add_member(fixture.workspace, "member")
    member = bearer_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")

    response = send(member, campaign["id"])

    assert response.status_code == 403
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"


def test_messages_list_shows_each_fate_and_filters_by_status(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    postmark.refuse = {f"lead2@{fixture.workspace.slug}.example": 300}
    send(client, campaign["id"])
    run_jobs(fixture.workspace, campaign["id"])

    everything = client.get(f"/api/v1/campaigns/{campaign['id']}/messages?limit=2").json()
    rest = client.get(
        f"/api/v1/campaigns/{campaign['id']}/messages?limit=2&cursor={everything['next']}"
    ).json()
    failed = client.get(f"/api/v1/campaigns/{campaign['id']}/messages?status=failed").json()
    bad = client.get(f"/api/v1/campaigns/{campaign['id']}/messages?status=lost")

    assert len(everything["items"]) == 2 and len(rest["items"]) == 1 and rest["next"] is None
    assert [item["to_email"] for item in failed["items"]] == [
        f"lead2@{fixture.workspace.slug}.example"
    ]
    assert failed["items"][0]["error_code"] == 300
    assert bad.status_code == 422


def test_campaign_sending_of_another_workspace_is_404_and_untouched(
    two_workspaces, postmark
) -> None:
    alpha, beta = two_workspaces
    _, campaign = ready_campaign(alpha, leads=2)
    beta_client = api(beta)
    path = f"/api/v1/campaigns/{campaign['id']}"

    answers = [
        post(beta_client, f"{path}/send", {}).status_code,
        post(beta_client, f"{path}/schedule", {"scheduled_at": "2030-01-01T00:00:00Z"}).status_code,
        post(beta_client, f"{path}/pause", {}).status_code,
        post(beta_client, f"{path}/resume", {}).status_code,
        post(beta_client, f"{path}/cancel", {}).status_code,
        beta_client.get(f"{path}/stats").status_code,
        beta_client.get(f"{path}/messages").status_code,
        beta_client.get(f"{path}/preview").status_code,
        post(beta_client, f"{path}/test", {}).status_code,
    ]

    assert answers == [404] * len(answers)
    assert campaign_row(alpha.workspace, campaign["id"]).status == "draft"
    assert postmark.received == []


def test_two_workspaces_sending_at_once_reach_only_their_own_leads(
    two_workspaces, postmark: FakePostmark
) -> None:
    alpha, beta = two_workspaces
    alpha_client, alpha_campaign = ready_campaign(alpha, leads=3)
    beta_client, beta_campaign = ready_campaign(beta, leads=2)

    send(alpha_client, alpha_campaign["id"])
    send(beta_client, beta_campaign["id"])
    run_jobs(alpha.workspace, alpha_campaign["id"])
    run_jobs(beta.workspace, beta_campaign["id"])

    to = sorted(postmark.accepted_to())
    assert to == sorted(
        [f"lead{i}@alpha.example" for i in range(3)] + [f"lead{i}@beta.example" for i in range(2)]
    )
    alpha_mail = [m for m in postmark.received if m["To"].endswith("@alpha.example")]
    assert {m["From"] for m in alpha_mail} == {"Alpha Coaching <no-reply@localhost>"}
    assert all(
        m["Metadata"]["crm_message"].startswith(f"{alpha.workspace.pk}.") for m in alpha_mail
    )
    with schema_context(beta.workspace.schema_name):
        assert Message.objects.count() == 2


def test_the_send_job_runs_through_celery_tasks(
    make_workspace, postmark, django_capture_on_commit_callbacks
) -> None:
    from project.celery import app

    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    add_leads(fixture.workspace, 1, prefix="extra")
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            accepted = send(client, campaign["id"])
    finally:
        app.conf.task_always_eager = False

    assert accepted.status_code == 202
    assert len(postmark.accepted_to()) == 4
    assert campaign_row(fixture.workspace, campaign["id"]).status == "sent"


def test_a_sending_job_outside_a_workspace_schema_refuses_to_work(db) -> None:
    from outreach.tasks import deliver_campaign_job, start_campaign_job
    from tenants.schemas import NotInWorkspace

    with pytest.raises(NotInWorkspace):
        start_campaign_job.run(1)
    with pytest.raises(NotInWorkspace):
        deliver_campaign_job.run(1)


def test_a_suspended_workspace_stops_sending_until_reactivated(make_workspace, postmark) -> None:
    from outreach.delivery.sweep import sweep
    from tenants.services.workspaces import set_workspace_status

    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    send(client, campaign["id"])
    set_workspace_status(workspace=fixture.workspace, status="suspended")
    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        stopped = deliver(campaign_id=campaign["id"])
        PendingSend.objects.update(heartbeat_at="2020-01-01T00:00:00Z")
    swept_while_suspended = sweep()
    set_workspace_status(workspace=fixture.workspace, status="active")
    with schema_context(fixture.workspace.schema_name):
        resumed = deliver(campaign_id=campaign["id"])

    assert stopped.outcome == "suspended" and stopped.sent == 0
    assert swept_while_suspended == 0
    assert resumed.outcome == "done" and len(postmark.accepted_to()) == 3
