"""SMS campaigns and one-off texts through the delivery engine to the Twilio double: consent
gates the audience, every text goes once (429 and 5xx retried with backoff, a lost answer
reconciled by number, body and time instead of resent), quiet hours hold a text until 08:00
in the lead's zone, segments are counted as Twilio counts them, the plan's SMS allowance
refuses a campaign before its first text, Twilio's refusals settle each text as they say,
bad credentials pause the campaign with what to fix, and a workspace never sends another's
texts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from mail.models import PendingSend
from outreach.delivery import start_campaign
from outreach.delivery.sender import DeliveryRun, deliver
from outreach.delivery.sweep import sweep
from outreach.models import Campaign
from outreach.selectors.sms_sending import waiting_for_quiet_hours
from sms.compose import OPT_OUT_LINE
from tenants.limits import record_sms_segments, sms_segments_this_month
from tests.support.clients import api, post
from tests.support.email import campaign_row
from tests.support.limits import refusal, set_limits
from tests.support.sms import SENDER, add_textable_leads, connect_twilio
from tests.support.twilio_double import TwilioDouble

# 23:00 in San Francisco (PST, UTC-8) on 9 December, and 08:00 the next morning there.
LATE_IN_SF = datetime(2026, 12, 10, 7, 0, tzinfo=UTC)
MORNING_IN_SF = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fast() -> Iterator[None]:
    with override_settings(CRM_SEND_BACKOFF_BASE_SECONDS=0.05, CRM_SEND_LEASE_SECONDS=1.5):
        yield


def sms_campaign(client, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Spring cohort texts",
        "channel": "sms",
        "body_template": "Hi {{ lead.first_name | default: 'there' }}, doors open Monday.",
        **fields,
    }
    response = post(client, "/api/v1/campaigns", body)
    assert response.status_code == 201, response.content
    return response.json()


def send(client, campaign_id: int):
    return post(client, f"/api/v1/campaigns/{campaign_id}/send", {})


def run_jobs(workspace, campaign_id: int) -> DeliveryRun:
    """What the start job and one sender job do, in this process."""
    with schema_context(workspace.schema_name):
        start_campaign(campaign_id=campaign_id)
        return deliver(campaign_id=campaign_id)


def messages(workspace, **filters: Any) -> list[Message]:
    with schema_context(workspace.schema_name):
        return list(Message.objects.filter(channel="sms", **filters).order_by("id"))


def texted(twilio: TwilioDouble) -> Counter[str]:
    return Counter(message["to"] for message in twilio.sent())


def usage(workspace) -> int:
    with schema_context(workspace.schema_name):
        return sms_segments_this_month()


def test_consent_gates_the_audience_and_each_opted_in_lead_gets_one_text(
    make_workspace, twilio
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 3)
    add_textable_leads(fixture.workspace, 1, start=3000, sms_consent="unknown")
    add_textable_leads(fixture.workspace, 1, start=3001, sms_consent="opted_out")
    add_textable_leads(fixture.workspace, 1, start=3002, sms_undeliverable_at=LATE_IN_SF)
    add_textable_leads(fixture.workspace, 1, prefix="415555", start=3003)  # not E.164
    client = api(fixture)
    campaign = sms_campaign(client)

    accepted = send(client, campaign["id"])  # no postal address or subject needed for texts
    run = run_jobs(fixture.workspace, campaign["id"])

    assert accepted.status_code == 202, accepted.content
    assert run.outcome == "done"
    assert texted(twilio) == Counter({"+14155552000": 1, "+14155552001": 1, "+14155552002": 1})
    first = twilio.sent_to("+14155552000")[0]
    assert first["body"] == f"Hi Name0, doors open Monday.\n{OPT_OUT_LINE}"
    assert first["from"] == SENDER
    sent = messages(fixture.workspace)
    assert [m.status for m in sent] == ["sent"] * 3
    assert {m.provider_id for m in sent} == {m["sid"] for m in twilio.sent()}
    assert sent[0].body == first["body"]  # written before the call: reconciliation needs it
    assert sent[0].to_phone == "+14155552000" and sent[0].time_zone == "America/Los_Angeles"
    callback = twilio.status_callbacks[sent[0].provider_id]
    assert callback == f"http://alpha.localhost:8000/webhooks/twilio/status?message={sent[0].pk}"
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.status, row.audience_size, row.sent_count) == ("sent", 3, 3)
    assert row.segments_used == 3
    with schema_context(fixture.workspace.schema_name):
        assert not PendingSend.objects.exists()


def test_a_lead_who_opts_out_after_the_freeze_gets_nothing(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    late, _ = add_textable_leads(fixture.workspace, 2)
    client = api(fixture)
    campaign = sms_campaign(client)
    send(client, campaign["id"])

    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        frozen = sms_segments_this_month()
        Lead.objects.filter(pk=late).update(sms_consent="opted_out", sms_opted_out_at=LATE_IN_SF)
        deliver(campaign_id=campaign["id"])
        skipped = Message.objects.get(lead_id=late)

    assert texted(twilio) == Counter({"+14155552001": 1})
    assert skipped.status == "suppressed" and "opted in to texts" in skipped.error
    assert campaign_row(fixture.workspace, campaign["id"]).suppressed_count == 1
    assert (frozen, usage(fixture.workspace)) == (2, 1)  # the skipped text's estimate back


@pytest.mark.parametrize("failure", [429, 503, 500])
def test_429_and_server_errors_back_off_and_each_lead_is_texted_once(
    make_workspace, twilio, failure: int
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 3)
    twilio.fail_next, twilio.retry_after = [failure, failure], 1
    client = api(fixture)
    campaign = sms_campaign(client)

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "done"
    if failure == 429:
        assert run.retries == [1.0]  # Twilio's Retry-After
    else:
        assert run.retries == [0.05]  # the engine's own backoff
    if failure == 500:
        # A 500 may come after Twilio took the text: looked up before it is sent again.
        assert run.reconciled == 2
        assert twilio.calls("GET", "/Messages.json")
    assert len(twilio.calls("POST", "/Messages.json")) == 5
    assert set(texted(twilio).values()) == {1} and len(texted(twilio)) == 3
    assert campaign_row(fixture.workspace, campaign["id"]).sent_count == 3


@pytest.mark.parametrize("failure", ["drop", "slow"])
def test_an_accepted_text_whose_answer_was_lost_is_reconciled_not_resent(
    make_workspace, twilio, failure: str
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 1)
    twilio.fail_next = [failure]
    client = api(fixture)
    campaign = sms_campaign(client)

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "done"
    assert run.reconciled == 1
    assert len(twilio.calls("POST", "/Messages.json")) == 1
    [text] = twilio.sent()
    [message] = messages(fixture.workspace)
    assert (message.status, message.provider_id, message.segments) == ("sent", text["sid"], 1)
    lookup = twilio.calls("GET", "/Messages.json")[0]["query"]
    assert (lookup["To"], lookup["From"]) == ("+14155552000", SENDER)
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.sent_count, row.segments_used) == (1, 1)


def test_quiet_hours_hold_a_text_until_eight_in_the_leads_zone(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [in_sf] = add_textable_leads(fixture.workspace, 1)  # +1 415: America/Los_Angeles
    [in_tokyo] = add_textable_leads(fixture.workspace, 1, start=2001, time_zone="Asia/Tokyo")

    with time_machine.travel(LATE_IN_SF, tick=True):
        client = api(fixture)  # a token of that day
        campaign = sms_campaign(client)
        assert send(client, campaign["id"]).status_code == 202
        night = run_jobs(fixture.workspace, campaign["id"])
        with schema_context(fixture.workspace.schema_name):
            waiting = waiting_for_quiet_hours(Campaign.objects.get(pk=campaign["id"]))
            heartbeat = PendingSend.objects.get(campaign_id=campaign["id"]).heartbeat_at
            zones = dict(Message.objects.values_list("lead_id", "time_zone"))
        texted_at_night = texted(twilio)
    with time_machine.travel(MORNING_IN_SF - timedelta(minutes=1), tick=True):
        before_dawn = sweep()
    with time_machine.travel(MORNING_IN_SF + timedelta(seconds=5), tick=True):
        at_dawn = sweep()
        with schema_context(fixture.workspace.schema_name):
            morning = deliver(campaign_id=campaign["id"])

    assert zones == {in_sf: "America/Los_Angeles", in_tokyo: "Asia/Tokyo"}
    assert texted_at_night == Counter({"+14155552001": 1})  # 16:00 in Tokyo
    assert night.outcome == "waiting"
    assert (waiting.count, waiting.opens_at, waiting.local_opening) == (1, MORNING_IN_SF, "08:00")
    assert heartbeat == MORNING_IN_SF - timedelta(seconds=1.5)  # the sweep's lease before
    assert (before_dawn, at_dawn) == (0, 1)
    assert morning.outcome == "done"
    assert texted(twilio) == Counter({"+14155552000": 1, "+14155552001": 1})
    assert campaign_row(fixture.workspace, campaign["id"]).status == "sent"


def test_segments_are_counted_as_twilio_counts_them(make_workspace, twilio) -> None:
    """One emoji makes a text UCS-2 (70 characters a segment): the freeze books two per
    lead; Twilio (the double) bills one; the month and the campaign end with Twilio's."""
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 3)
    client = api(fixture)
    campaign = sms_campaign(
        client,
        body_template="Hi {{ lead.first_name }} 🎉 the doors of the spring cohort open on "
        "Monday at nine",
    )

    send(client, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        booked = sms_segments_this_month()
        estimates = list(Message.objects.values_list("segments", flat=True))
        deliver(campaign_id=campaign["id"])

    assert (booked, estimates) == (6, [2, 2, 2])
    assert [m.segments for m in messages(fixture.workspace)] == [1, 1, 1]
    assert usage(fixture.workspace) == 3
    assert campaign_row(fixture.workspace, campaign["id"]).segments_used == 3


def test_the_plan_limit_refuses_a_campaign_that_would_exceed_the_sms_segments(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 3)
    set_limits(fixture.workspace, monthly_sms_segment_limit=2)
    client = api(fixture)
    refused_campaign = sms_campaign(client)

    refused = send(client, refused_campaign["id"])
    set_limits(fixture.workspace, monthly_sms_segment_limit=3)
    later = sms_campaign(client, name="Later")
    accepted = send(client, later["id"])
    with schema_context(fixture.workspace.schema_name):
        record_sms_segments(count=1)  # a one-off text meanwhile: the freeze no longer fits
    run = run_jobs(fixture.workspace, later["id"])

    error = refusal(refused)
    assert error["code"] == "plan_limit_reached"
    assert campaign_row(fixture.workspace, refused_campaign["id"]).status == "draft"
    assert accepted.status_code == 202
    row = campaign_row(fixture.workspace, later["id"])
    assert row.status == "paused" and row.last_error.startswith("Not started, nothing was sent")
    assert run.outcome == "paused"
    assert twilio.sent() == [] and messages(fixture.workspace) == []
    assert usage(fixture.workspace) == 1


def test_twilio_refusals_settle_each_text_as_they_say(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    landline, stopped, blocked, fine = add_textable_leads(fixture.workspace, 4)
    twilio.refusals = {"+14155552000": 21614, "+14155552001": 21610, "+14155552002": 21408}
    client = api(fixture)
    campaign = sms_campaign(client)

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "done"
    by_lead = {m.lead_id: m for m in messages(fixture.workspace)}
    assert (by_lead[landline].status, by_lead[landline].error_code) == ("failed", 21614)
    assert (by_lead[stopped].status, by_lead[stopped].error_code) == ("suppressed", 21610)
    assert (by_lead[blocked].status, by_lead[blocked].error_code) == ("failed", 21408)
    assert by_lead[fine].status == "sent"
    with schema_context(fixture.workspace.schema_name):
        leads = {lead.pk: lead for lead in Lead.objects.all()}
    assert leads[landline].sms_undeliverable_at is not None
    assert leads[stopped].sms_consent == "opted_out"
    assert leads[blocked].sms_undeliverable_at is None
    assert leads[blocked].sms_consent == "opted_in"
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.sent_count, row.failed_count, row.suppressed_count) == (1, 2, 1)
    assert usage(fixture.workspace) == 1  # only the text that went


def test_bad_credentials_pause_the_campaign_with_what_to_fix(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 2)
    client = api(fixture)
    campaign = sms_campaign(client)
    token = account.auth_token
    account.auth_token = "rotated-at-twilio"

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])
    paused = campaign_row(fixture.workspace, campaign["id"])
    account.auth_token = token
    resumed = post(client, f"/api/v1/campaigns/{campaign['id']}/resume", {})
    again = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "refused"
    assert paused.status == "paused"
    assert "Fix the Twilio account in Settings → SMS" in paused.last_error
    assert "20003" in paused.last_error
    assert resumed.status_code == 200
    assert again.outcome == "done"
    assert set(texted(twilio).values()) == {1} and len(texted(twilio)) == 2


def test_sending_an_sms_campaign_needs_twilio_and_a_textable_audience(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    client = api(fixture)
    add_textable_leads(fixture.workspace, 1, sms_consent="unknown")
    campaign = sms_campaign(client)

    no_twilio = send(client, campaign["id"])
    connect_twilio(fixture.workspace, twilio)
    nobody = send(client, campaign["id"])

    assert no_twilio.status_code == 409
    assert "connect Twilio in Settings → SMS" in no_twilio.json()["error"]["message"]
    assert nobody.status_code == 409
    assert "opted in to SMS" in nobody.json()["error"]["message"]
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"
    assert twilio.sent() == []


def test_the_sms_send_rate_spaces_the_texts(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio, send_rate=2)
    add_textable_leads(fixture.workspace, 4)
    client = api(fixture)
    campaign = sms_campaign(client)
    slept: list[float] = []

    send(client, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        start_campaign(campaign_id=campaign["id"])
        run = deliver(campaign_id=campaign["id"], sleep=slept.append)

    assert run.outcome == "done" and len(twilio.sent()) == 4
    # Batches of two at 2 a second (the sleeps are not slept: the budget still moves on a
    # second per reservation): the second batch waits about a second.
    assert slept and 0.5 <= slept[0] <= 1.0, slept


def test_a_queued_one_off_text_reaches_twilio_once_and_settles_with_its_sid(
    make_workspace, twilio
) -> None:
    """Written by a member, so no opt-out line and no quiet hours (23:00 where the lead is);
    the month's usage is put right from the estimate (2, UCS-2) to Twilio's count (1)."""
    fixture = make_workspace()
    other = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    connect_twilio(other.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    body = (
        "Hi {{ lead.first_name }} 🎉 your seat for Monday is saved; see you at nine in the big hall"
    )

    with time_machine.travel(LATE_IN_SF, tick=True):
        queued = post(api(fixture), f"/api/v1/leads/{lead_id}/sms", {"body": body})
        estimated = usage(fixture.workspace)
        foreign = post(api(other), f"/api/v1/leads/{lead_id}/sms", {"body": "Hello"})
        with schema_context(other.workspace.schema_name):
            elsewhere = deliver(campaign_id=None, channel="sms")
        assert twilio.sent() == []
        with schema_context(fixture.workspace.schema_name):
            first = deliver(campaign_id=None, channel="sms")
            second = deliver(campaign_id=None, channel="sms")

    assert queued.status_code == 202, queued.content
    assert foreign.status_code == 404
    assert elsewhere.outcome == second.outcome == first.outcome == "done"
    [text] = twilio.sent()
    assert text["to"] == "+14155552000"
    assert (
        text["body"] == "Hi Name0 🎉 your seat for Monday is saved; see you at nine in the big hall"
    )
    [message] = messages(fixture.workspace)
    assert (message.status, message.provider_id, message.segments) == ("sent", text["sid"], 1)
    assert message.sent_at is not None
    assert twilio.status_callbacks[text["sid"]].endswith(f"?message={message.pk}")
    assert (estimated, usage(fixture.workspace)) == (2, 1)
    with schema_context(fixture.workspace.schema_name):
        assert not PendingSend.objects.filter(campaign_id=PendingSend.DIRECT_SMS).exists()
    assert messages(other.workspace) == []


def test_another_workspace_cannot_send_or_see_a_campaign(make_workspace, twilio) -> None:
    fixture = make_workspace()
    other = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 1)
    campaign = sms_campaign(api(fixture))

    foreign = send(api(other), campaign["id"])

    assert foreign.status_code == 404
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"
    assert twilio.sent() == []


def test_leads_sharing_a_number_get_one_text_between_them(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [oldest] = add_textable_leads(fixture.workspace, 1)
    add_textable_leads(fixture.workspace, 1)  # the same +1 415 555 2000, a duplicate lead
    add_textable_leads(fixture.workspace, 1, start=2001)
    client = api(fixture)
    campaign = sms_campaign(client)

    send(client, campaign["id"])
    run_jobs(fixture.workspace, campaign["id"])

    assert texted(twilio) == Counter({"+14155552000": 1, "+14155552001": 1})
    assert oldest in {m.lead_id for m in messages(fixture.workspace)}
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.audience_size, row.sent_count) == (2, 2)
    assert usage(fixture.workspace) == 2


def test_a_sender_twilio_refuses_pauses_the_campaign_instead_of_failing_each_text(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    add_textable_leads(fixture.workspace, 3)
    twilio.refusals = {"+14155552000": 21606}  # "From is not a message-capable number"
    client = api(fixture)
    campaign = sms_campaign(client)

    send(client, campaign["id"])
    run = run_jobs(fixture.workspace, campaign["id"])

    assert run.outcome == "refused"
    row = campaign_row(fixture.workspace, campaign["id"])
    assert row.status == "paused" and "Settings → SMS" in row.last_error
    assert row.failed_count == 0
    assert "failed" not in {m.status for m in messages(fixture.workspace)}
    assert "queued" in {m.status for m in messages(fixture.workspace)}
