"""The results of an SMS campaign: the campaign page shows sent, delivered, failed, opted
out, replies and segments used with their rates; the messages and the recipients list show
each text's number, status and error; the API's campaign and stats carry replied_count and
segments_used. Counters are set directly in the database (the engine is not under test);
another workspace sees none of it."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from outreach.models import Campaign
from tests.support.clients import api
from tests.support.pages import page_text
from tests.support.sms_campaigns import sent_sms_campaign


def test_the_campaign_page_shows_the_sms_results_with_rates(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_sms_campaign(fixture.workspace)

    page = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/")

    shown = page_text(page)
    assert page.status_code == 200
    assert "2 sent" in shown
    assert "2 delivered · 100.0%" in shown
    assert "1 failed · 33.3%" in shown
    assert "1 opted out · 50.0%" in shown
    assert "1 replied · 50.0%" in shown
    assert "4 segments used" in shown
    assert "opened" not in shown.split("Results")[1].split("Preview")[0]  # no email tiles
    assert "accepted by Twilio" in shown
    assert "+14155550102" in shown and "Twilio: landline (30006)" in shown


def test_the_recipients_list_shows_each_texts_number_status_and_error(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_sms_campaign(fixture.workspace)
    client = fixture.signed_in_client()

    every = client.get(f"/campaigns/{campaign_id}/recipients/")
    failed = client.get(f"/campaigns/{campaign_id}/recipients/?status=failed")

    assert every.status_code == 200
    assert 'data-testid="sms-recipients"' in every.content.decode()
    assert "Number" in page_text(every)
    assert "Opened" not in page_text(every) and "Bounced" not in page_text(every)
    for number in ("+14155550100", "+14155550101", "+14155550102"):
        assert number in page_text(every)
    failed_text = page_text(failed)
    assert "+14155550102 Failed" in failed_text
    assert "Twilio: landline (30006)" in failed_text
    assert "+14155550100" not in failed_text


def test_the_api_carries_replies_and_segments(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_sms_campaign(fixture.workspace)
    client = api(fixture)

    campaign = client.get(f"/api/v1/campaigns/{campaign_id}").json()
    stats = client.get(f"/api/v1/campaigns/{campaign_id}/stats").json()
    messages = client.get(f"/api/v1/campaigns/{campaign_id}/messages?status=failed").json()

    assert campaign["replied_count"] == 1 and campaign["segments_used"] == 4
    assert stats["counts"]["replied"] == 1 and stats["counts"]["segments_used"] == 4
    assert stats["rates"]["reply_rate"] == 0.5
    assert stats["rates"]["failure_rate"] == 0.3333
    [message] = messages["items"]
    assert message["channel"] == "sms" and message["to_phone"] == "+14155550102"
    assert message["error"] == "Twilio: landline (30006)" and message["error_code"] == 30006


def test_another_workspace_gets_404_for_the_results(two_workspaces) -> None:
    alpha, beta = two_workspaces
    campaign_id = sent_sms_campaign(alpha.workspace)

    assert beta.signed_in_client().get(f"/campaigns/{campaign_id}/").status_code == 404
    assert beta.signed_in_client().get(f"/campaigns/{campaign_id}/recipients/").status_code == 404
    assert api(beta).get(f"/api/v1/campaigns/{campaign_id}/stats").status_code == 404


def test_a_sending_campaign_says_how_many_texts_wait_for_their_morning(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        campaign = Campaign.objects.create(
            name="Night owls",
            channel="sms",
            body_template="Doors open at nine",
            status=Campaign.Status.SENDING,
            audience_size=2,
            frozen_at=timezone.now(),
            started_at=timezone.now(),
        )
        for i, zone in enumerate(["America/Los_Angeles", "America/New_York"]):
            lead = Lead.objects.create(first_name=f"Owl{i}", phone=f"+1415555020{i}")
            Message.objects.create(
                lead=lead,
                campaign_id=campaign.pk,
                channel="sms",
                direction="outbound",
                status="queued",
                to_phone=lead.phone,
                time_zone=zone,
            )
    client = fixture.signed_in_client()

    # 09:30 UTC: 01:30 in San Francisco and 04:30 in New York, so both wait; New York's
    # 08:00 comes first, at 13:00 UTC.
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), tick=False):
        night = page_text(client.get(f"/campaigns/{campaign.pk}/"))
    # 14:00 UTC: 09:00 in New York (its text may go), 06:00 in San Francisco.
    with time_machine.travel(datetime(2026, 12, 1, 14, 0, tzinfo=UTC), tick=False):
        morning = page_text(client.get(f"/campaigns/{campaign.pk}/"))
    other = make_workspace().signed_in_client().get(f"/campaigns/{campaign.pk}/")

    assert "2 texts held until 08:00 local time" in night
    assert "The next go out from 1 Dec, 13:00 (UTC)" in night
    assert "1 text held until 08:00 local time" in morning
    assert other.status_code == 404
