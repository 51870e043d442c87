"""Twilio's status callbacks at POST /webhooks/twilio/status?message=<id> on the workspace's
domain: signed by the workspace's auth token (else 403 and nothing changes), idempotent, a
status never going back, a permanent failure keeping the number out of later audiences, and
one workspace's callback never touching another's texts."""

from __future__ import annotations

from typing import Any

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from outreach.models import Campaign
from outreach.selectors.audience import campaign_audience
from sms.callback_urls import status_callback_url
from sms.models import SmsAccount, TwilioEvent
from tests.support.sms import add_textable_leads, connect_twilio
from tests.support.sms_texts import send_text, sms_campaign
from tests.support.twilio_double import post_signed, signature


def message_and_campaign(workspace, message_id: int, campaign_id: int | None):
    with schema_context(workspace.schema_name):
        message = Message.objects.get(pk=message_id)
        campaign = Campaign.objects.get(pk=campaign_id) if campaign_id else None
        return message, campaign


def campaign_text(fixture, twilio):
    account, _ = connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    campaign_id = sms_campaign(fixture.workspace)
    text = send_text(fixture.workspace, lead_id, campaign_id=campaign_id)
    return account, lead_id, campaign_id, text


def test_delivered_twice_counts_once(make_workspace, twilio) -> None:
    fixture = make_workspace()
    _, _, campaign_id, text = campaign_text(fixture, twilio)
    via = fixture.client()

    first = twilio.status_callback(text.sid, "delivered", via=via)
    again = twilio.status_callback(text.sid, "delivered", via=via)

    assert (first, again) == (200, 200)
    assert [c["status"] for c in twilio.callbacks] == [200, 200]
    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "delivered" and message.delivered_at is not None
    assert (campaign.sent_count, campaign.delivered_count) == (1, 1)
    with schema_context(fixture.workspace.schema_name):
        assert TwilioEvent.objects.filter(key=f"{text.sid}:delivered").count() == 1


def test_statuses_on_the_way_change_nothing_and_a_late_sent_stays_delivered(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    _, _, campaign_id, text = campaign_text(fixture, twilio)
    via = fixture.client()

    for status in ("queued", "sending", "sent", "delivered", "sent"):
        assert twilio.status_callback(text.sid, status, via=via) == 200

    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "delivered"
    assert (campaign.sent_count, campaign.delivered_count, campaign.failed_count) == (1, 1, 0)


def test_undelivered_is_failed_with_a_readable_reason_and_delivered_after_it_changes_nothing(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    _, lead_id, campaign_id, text = campaign_text(fixture, twilio)
    via = fixture.client()

    assert twilio.status_callback(text.sid, "undelivered", error_code=30007, via=via) == 200
    assert twilio.status_callback(text.sid, "delivered", via=via) == 200

    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert (message.status, message.error_code) == ("failed", 30007)
    assert message.error == "Twilio: the carrier filtered the text as spam (30007)"
    assert message.delivered_at is None
    assert (campaign.sent_count, campaign.delivered_count, campaign.failed_count) == (1, 0, 1)
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
        assert lead.sms_undeliverable_at is None  # spam filtering is not about the number
        assert EventLog.objects.filter(verb="sms_failed", object_id=lead_id).count() == 1


def test_a_landline_marks_the_number_undeliverable_and_drops_it_from_sms_audiences(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    _, lead_id, campaign_id, text = campaign_text(fixture, twilio)
    with schema_context(fixture.workspace.schema_name):
        assert list(campaign_audience("sms", {}).values_list("pk", flat=True)) == [lead_id]

    assert twilio.status_callback(text.sid, "failed", error_code=30006, via=fixture.client()) == 200

    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.error == "Twilio: the number is a landline (30006)"
    assert campaign.failed_count == 1
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get(pk=lead_id).sms_undeliverable_at is not None
        assert not campaign_audience("sms", {}).exists()
        assert EventLog.objects.filter(verb="sms_undeliverable", object_id=lead_id).count() == 1


def test_a_callback_for_a_text_whose_answer_was_lost_settles_it_sent_with_its_sid(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    _, _, campaign_id, text = campaign_text(fixture, twilio)
    with schema_context(fixture.workspace.schema_name):  # the engine never heard back
        Message.objects.filter(pk=text.message_id).update(
            status="sending", provider_id="", sent_at=None
        )
        Campaign.objects.filter(pk=campaign_id).update(sent_count=0)

    assert twilio.status_callback(text.sid, "sent", via=fixture.client()) == 200

    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert (message.status, message.provider_id) == ("sent", text.sid)
    assert message.sent_at is not None
    assert campaign.sent_count == 1


def test_a_bad_or_missing_signature_is_403_and_changes_nothing(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account, _, campaign_id, text = campaign_text(fixture, twilio)
    url = status_callback_url(fixture.workspace, text.message_id)
    path = url.removeprefix(fixture.workspace.url)
    params = {"MessageSid": text.sid, "MessageStatus": "failed", "ErrorCode": "30006"}
    signed = signature(url, params, account.auth_token)

    def post(to: str, form: dict[str, str], sign: str | None) -> Any:
        headers = {"X-Twilio-Signature": sign} if sign is not None else {}
        return Client(HTTP_HOST=fixture.host).post(to, form, headers=headers)

    answers = {
        "unsigned": post(path, params, None),
        "empty": post(path, params, ""),
        "another token": post(path, params, signature(url, params, "x" * 32)),
        "another status": post(path, {**params, "ErrorCode": "30007"}, signed),
        "another message": post(f"{path}0", params, signed),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        answers, 403
    )
    assert answers["unsigned"].json()["error"]["code"] == "bad_signature"
    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "sent" and message.error == ""
    assert (campaign.delivered_count, campaign.failed_count) == (0, 0)
    with schema_context(fixture.workspace.schema_name):
        assert not TwilioEvent.objects.exists()
        assert Lead.objects.get(pk=message.lead_id).sms_undeliverable_at is None
    # The same request, signed right, is taken.
    assert post(path, params, signed).status_code == 200


def test_a_workspace_without_its_auth_token_refuses_every_callback(make_workspace, twilio) -> None:
    fixture = make_workspace()
    _, _, campaign_id, text = campaign_text(fixture, twilio)
    with schema_context(fixture.workspace.schema_name):  # only an API key kept: nothing to check
        SmsAccount.objects.update(
            auth_token_encrypted="", api_key_sid="SK" + "0" * 32, api_key_secret_encrypted="kept"
        )

    assert twilio.status_callback(text.sid, "delivered", via=fixture.client()) == 403

    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "sent" and campaign.delivered_count == 0


def test_an_unknown_message_or_another_sid_is_acknowledged_and_changes_nothing(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    account, _, campaign_id, text = campaign_text(fixture, twilio)
    base = status_callback_url(fixture.workspace, text.message_id)
    other_sid = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    nobody = {"MessageSid": text.sid, "MessageStatus": "delivered"}

    wrong_sid = post_signed(base, other_sid, account.auth_token, via=fixture.client())
    no_such = post_signed(
        status_callback_url(fixture.workspace, 999_999), nobody, account.auth_token,
        via=fixture.client(),
    )  # fmt: skip

    assert wrong_sid[0] == no_such[0] == 200
    assert '"unknown_message"' in wrong_sid[1] and '"unknown_message"' in no_such[1]
    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "sent" and campaign.delivered_count == 0


def test_workspace_a_callbacks_never_touch_workspace_b(two_workspaces, twilio) -> None:
    alpha, beta = two_workspaces
    alpha_account, _, _, alpha_text = campaign_text(alpha, twilio)
    _, _, beta_campaign, beta_text = campaign_text(beta, twilio)
    delivered = {"MessageSid": beta_text.sid, "MessageStatus": "delivered"}

    # B's host with B's message id, signed with A's token (A's account cannot sign for B).
    on_b_host = post_signed(
        status_callback_url(beta.workspace, beta_text.message_id),
        delivered,
        alpha_account.auth_token,
        via=beta.client(),
    )
    # A's host, signed by A, naming B's message id and SID: it is looked up in A only.
    on_a_host = post_signed(
        status_callback_url(alpha.workspace, beta_text.message_id),
        delivered,
        alpha_account.auth_token,
        via=alpha.client(),
    )

    assert on_b_host[0] == 403
    assert on_a_host[0] == 200
    message, campaign = message_and_campaign(beta.workspace, beta_text.message_id, beta_campaign)
    assert message.status == "sent" and campaign.delivered_count == 0
    with schema_context(alpha.workspace.schema_name):
        assert Message.objects.get(pk=alpha_text.message_id).status == "sent"
        assert not TwilioEvent.objects.exists()


def test_malformed_callbacks_are_answered_without_a_server_error(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account, _, campaign_id, text = campaign_text(fixture, twilio)
    base = status_callback_url(fixture.workspace, text.message_id)
    failed = {"MessageSid": text.sid, "MessageStatus": "failed", "ErrorCode": "9" * 30}
    strange = [
        (base.replace(f"message={text.message_id}", "message=%C2%B2%C2%B3"), failed),
        (base.replace(f"message={text.message_id}", "message=" + "9" * 30), failed),
        (base, {"MessageSid": text.sid, "MessageStatus": "no-such-status"}),
        (base, failed),
    ]

    answers = [
        post_signed(url, form, account.auth_token, via=fixture.client()) for url, form in strange
    ]

    assert [status for status, _ in answers] == [200, 200, 200, 200]
    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert (message.status, message.error_code, campaign.failed_count) == ("failed", 0, 1)
    assert message.error == "Twilio: the text was not delivered (no reason given)"


def test_behind_the_tls_proxy_the_https_url_twilio_called_is_the_one_checked(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    account, _, campaign_id, text = campaign_text(fixture, twilio)
    delivered = {"MessageSid": text.sid, "MessageStatus": "delivered"}
    with override_settings(
        CRM_PUBLIC_SCHEME="https",
        CRM_PUBLIC_PORT="",
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    ):
        url = status_callback_url(fixture.workspace, text.message_id)
        assert url.startswith(f"https://{fixture.host}/webhooks/twilio/status?message=")
        # gunicorn sees plain HTTP from the proxy, which says the client used HTTPS.
        answer = Client(HTTP_HOST=fixture.host).post(
            url.removeprefix(f"https://{fixture.host}"),
            delivered,
            headers={
                "X-Twilio-Signature": signature(url, delivered, account.auth_token),
                "X-Forwarded-Proto": "https",
            },
        )

    assert answer.status_code == 200
    message, campaign = message_and_campaign(fixture.workspace, text.message_id, campaign_id)
    assert message.status == "delivered" and campaign.delivered_count == 1
