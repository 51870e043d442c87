"""The test send of an SMS campaign: the text as a lead gets it (opt-out line included),
marked [Test], sent now through the workspace's Twilio account (the double) to the number
the member types; bad numbers, no account, Twilio's refusals and silences are clear
4xx/503 answers that send nothing; nothing is counted on leads; another workspace's
campaign is 404."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import EventLog, Message
from outreach.models import Campaign
from tests.support.clients import add_member, api, bearer_client, post
from tests.support.pages import page_text
from tests.support.twilio_double import TwilioAccount, TwilioDouble

SMS = {
    "name": "Spring texts",
    "channel": "sms",
    "body_template": "Hi {{ lead.first_name | default: 'there' }}, doors open Monday",
}


def connect(fixture, account: TwilioAccount) -> None:
    body = {
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "phone_number": "+14155550100",
    }
    answer = api(fixture).put("/api/v1/sms/account", body, content_type="application/json")
    assert answer.status_code == 200, answer.content


def sms_campaign(fixture, **fields) -> int:
    return post(api(fixture), "/api/v1/campaigns", {**SMS, **fields}).json()["id"]


def test_the_test_text_goes_now_as_a_lead_gets_it(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    connect(fixture, account)
    campaign_id = sms_campaign(fixture)

    answer = post(
        api(fixture), f"/api/v1/campaigns/{campaign_id}/test-sms", {"to": "+1 (415) 555-0123"}
    )

    assert answer.status_code == 200, answer.content
    assert answer.json() == {"to": "+14155550123"}
    [sent] = twilio.sent(account.sid)
    assert sent["to"] == "+14155550123"
    assert sent["from"] == "+14155550100"
    assert sent["body"] == "[Test] Hi Ada, doors open Monday\nReply STOP to opt out"
    with schema_context(fixture.workspace.schema_name):
        assert not Message.objects.exists()  # nothing on any lead
        campaign = Campaign.objects.get(pk=campaign_id)
        assert campaign.sent_count == 0 and campaign.segments_used == 0
        event = EventLog.objects.get(verb="test_sent")
        assert event.changes["to"] == "+14155550123"


def test_a_number_that_is_not_one_is_422_and_nothing_is_sent(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    connect(fixture, account)
    campaign_id = sms_campaign(fixture)

    answer = post(api(fixture), f"/api/v1/campaigns/{campaign_id}/test-sms", {"to": "12"})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_phone"
    assert answer.json()["error"]["details"][0]["field"] == "to"
    assert twilio.sent(account.sid) == []


def test_without_a_twilio_account_it_is_409_saying_what_to_do(make_workspace, twilio) -> None:
    fixture = make_workspace()
    campaign_id = sms_campaign(fixture)

    answer = post(api(fixture), f"/api/v1/campaigns/{campaign_id}/test-sms", {"to": "+14155550123"})

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "sms_not_connected"
    assert "Settings → SMS" in answer.json()["error"]["message"]


def test_twilio_refusing_or_not_answering_is_a_clear_answer(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    connect(fixture, account)
    campaign_id = sms_campaign(fixture)
    twilio.refusals["+14155550199"] = 21614  # a landline
    path = f"/api/v1/campaigns/{campaign_id}/test-sms"

    refused = post(api(fixture), path, {"to": "+14155550199"})
    twilio.fail_next.append(503)
    unavailable = post(api(fixture), path, {"to": "+14155550123"})

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "sms_refused"
    assert "21614" in refused.json()["error"]["message"]
    assert "cannot take texts" in refused.json()["error"]["message"]
    assert unavailable.status_code == 503
    assert unavailable.json()["error"]["code"] == "sms_provider_unavailable"
    assert twilio.sent(account.sid) == []


def test_an_email_campaign_has_no_test_text_and_a_member_may_not_send_one(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    connect(fixture, twilio.add_account())
    email_id = post(
        api(fixture), "/api/v1/campaigns", {"name": "N", "subject": "S", "body_template": "B"}
    ).json()["id"]
    campaign_id = sms_campaign(fixture)
    member = add_member(fixture.workspace, "member")

    email = post(api(fixture), f"/api/v1/campaigns/{email_id}/test-sms", {"to": "+14155550123"})
    by_member = post(
        bearer_client(fixture.workspace, member.email),
        f"/api/v1/campaigns/{campaign_id}/test-sms",
        {"to": "+14155550123"},
    )

    assert email.status_code == 409 and email.json()["error"]["code"] == "wrong_channel"
    assert by_member.status_code == 403
    assert twilio.sent() == []


def test_another_workspace_cannot_test_send_a_campaign(
    two_workspaces, twilio: TwilioDouble
) -> None:
    alpha, beta = two_workspaces
    connect(beta, twilio.add_account())
    campaign_id = sms_campaign(alpha)

    answer = post(api(beta), f"/api/v1/campaigns/{campaign_id}/test-sms", {"to": "+14155550123"})
    page = beta.signed_in_client().post(
        f"/campaigns/{campaign_id}/test-sms/", {"to": "+14155550123"}
    )

    assert answer.status_code == 404
    assert page.status_code == 404
    assert twilio.sent() == []


def test_the_campaign_page_sends_the_test_and_shows_a_refusal_by_the_field(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    connect(fixture, account)
    campaign_id = sms_campaign(fixture)
    client = fixture.signed_in_client()

    page = client.get(f"/campaigns/{campaign_id}/")
    sent = client.post(f"/campaigns/{campaign_id}/test-sms/", {"to": "+14155550123"}, follow=True)
    bad = client.post(f"/campaigns/{campaign_id}/test-sms/", {"to": "not a number"})

    assert "Text me a test" in page_text(page)
    assert "Send a test to me" not in page_text(page)  # the email test is not offered
    assert "Hi Ada, doors open Monday Reply STOP to opt out" in page_text(page)
    assert "Test text sent to +14155550123" in page_text(sent)
    assert bad.status_code == 422
    assert "is not a phone number" in page_text(bad)
    assert len(twilio.sent(account.sid)) == 1


def test_the_page_without_twilio_links_to_settings(make_workspace, twilio) -> None:
    fixture = make_workspace()
    campaign_id = sms_campaign(fixture)

    answer = fixture.signed_in_client().post(
        f"/campaigns/{campaign_id}/test-sms/", {"to": "+14155550123"}
    )

    assert answer.status_code == 409
    assert 'href="/settings/sms/"' in answer.content.decode()
