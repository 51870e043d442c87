"""/api/v1/sms/account: a workspace connects its own Twilio account. The credentials are
checked with Twilio (the loopback double) before anything is saved, the secrets are
encrypted at rest and never come back (last four characters only, in no log line either),
every change is audited, only admins and owners may see or change it, and another
workspace's token or host never reads or changes it."""

from __future__ import annotations

import logging

import pytest
import structlog
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import EventLog
from project.encryption import UnreadableSecret, reencrypt
from sms.gateway import Sms, send_sms
from sms.models import SmsAccount
from sms.selectors.account import credentials_of
from tests.support.clients import add_member, api, bearer_client
from tests.support.twilio_double import TwilioAccount, TwilioDouble

PATH = "/api/v1/sms/account"
SERVICE = "MG" + "cd" * 16


def put(client, body: dict):
    return client.put(PATH, body, content_type="application/json")


def connect_body(account: TwilioAccount, **extra) -> dict:
    return {
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "phone_number": "+1 415 555 0100",
        "send_rate": 5,
        **extra,
    }


def stored(workspace) -> SmsAccount | None:
    with schema_context(workspace.schema_name):
        return SmsAccount.objects.filter(pk=1).first()


def stored_row(workspace) -> SmsAccount:
    row = stored(workspace)
    assert row is not None
    return row


def events(workspace) -> list[EventLog]:
    with schema_context(workspace.schema_name):
        return list(EventLog.objects.filter(object_type="smsaccount").order_by("id"))


def test_connecting_checks_twilio_and_never_shows_the_token_again(
    make_workspace, twilio: TwilioDouble, caplog
) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account(friendly_name="Alpha's Twilio")
    client = api(fixture)
    caplog.set_level(logging.DEBUG)

    with structlog.testing.capture_logs() as lines:
        saved = put(client, connect_body(account))
        shown = client.get(PATH)

    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["account_sid"] == account.sid
    assert body["auth_token_last4"] == account.auth_token[-4:]
    assert body["phone_number"] == "+14155550100"  # stored in E.164
    assert body["send_rate"] == 5 and body["friendly_name"] == "Alpha's Twilio"
    assert body["callbacks_verifiable"] is True
    assert shown.json() == body
    [check] = twilio.calls("GET", f"/Accounts/{account.sid}.json")  # one real call to Twilio
    assert check["auth"].startswith("Basic ")
    for text in (saved.content.decode(), shown.content.decode(), caplog.text, repr(lines)):
        assert account.auth_token not in text
    row = stored(fixture.workspace)
    assert row is not None and account.auth_token not in row.auth_token_encrypted
    with schema_context(fixture.workspace.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sms_smsaccount")
        assert account.auth_token not in repr(cursor.fetchall())  # encrypted at rest
    [event] = events(fixture.workspace)
    assert event.verb == "sms_account_connected"
    assert event.changes["account_sid"]["after"] == account.sid
    assert account.auth_token not in repr(event.changes)


def test_the_stored_credentials_send(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    assert put(api(fixture), connect_body(account)).status_code == 200

    with schema_context(fixture.workspace.schema_name):
        row = SmsAccount.objects.get()
        sent = send_sms(
            credentials_of(row), Sms(to="+14155550123", body="Hi", from_number=row.phone_number)
        )

    assert twilio.sent(account.sid)[0]["sid"] == sent.sid


def test_an_api_key_and_a_messaging_service(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    key_sid, key_secret = account.add_api_key()

    saved = put(
        api(fixture),
        {
            "account_sid": account.sid,
            "api_key_sid": key_sid,
            "api_key_secret": key_secret,
            "messaging_service_sid": SERVICE,
        },
    )

    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["api_key_sid"] == key_sid and body["api_key_secret_last4"] == key_secret[-4:]
    assert body["auth_token_last4"] is None and body["callbacks_verifiable"] is False
    assert body["messaging_service_sid"] == SERVICE and body["phone_number"] is None
    assert key_secret not in saved.content.decode()
    with schema_context(fixture.workspace.schema_name):
        assert credentials_of(SmsAccount.objects.get()).username == key_sid


def test_wrong_credentials_are_422_naming_them_and_nothing_is_saved(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    key_sid, _ = account.add_api_key()
    client = api(fixture)

    wrong_token = put(client, connect_body(account, auth_token="f" * 32))
    wrong_key = put(
        client, connect_body(account, api_key_sid=key_sid, api_key_secret="not-the-secret-1234")
    )

    assert wrong_token.status_code == 422
    [detail] = wrong_token.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("auth_token", "twilio_rejected_credentials")
    assert "auth token" in detail["message"]
    assert wrong_key.status_code == 422
    assert wrong_key.json()["error"]["details"][0]["field"] == "api_key_secret"
    assert "f" * 32 not in wrong_token.content.decode()
    assert stored(fixture.workspace) is None and events(fixture.workspace) == []
    assert client.get(PATH).status_code == 404


def test_a_suspended_account_is_refused(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account(status="suspended")

    refused = put(api(fixture), connect_body(account))

    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["code"] == "twilio_account_inactive"
    assert stored(fixture.workspace) is None


@pytest.mark.parametrize("failure", [500, 429, "slow", "drop"])
def test_twilio_down_is_503_and_nothing_is_saved(
    make_workspace, twilio: TwilioDouble, failure
) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    twilio.fail_next = [failure]

    refused = put(api(fixture), connect_body(account))

    assert refused.status_code == 503
    error = refused.json()["error"]
    assert error["code"] == "sms_provider_unavailable" and "nothing was saved" in error["message"]
    assert stored(fixture.workspace) is None and events(fixture.workspace) == []


def test_bad_input_is_422_per_field_without_asking_twilio(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    client = api(fixture)

    bad = put(
        client,
        {
            "account_sid": "AC123",
            "auth_token": account.auth_token,
            "phone_number": "+1 415 555",
            "messaging_service_sid": "",
            "api_key_sid": "SKnothex",
        },
    )
    two_senders = put(client, connect_body(account, messaging_service_sid=SERVICE))
    no_credentials = put(client, {"account_sid": account.sid, "phone_number": "+14155550100"})
    rate = put(client, connect_body(account, send_rate=0))

    assert bad.status_code == 422
    fields = {(d["field"], d["code"]) for d in bad.json()["error"]["details"]}
    assert ("account_sid", "invalid_account_sid") in fields
    assert ("phone_number", "invalid_phone_number") in fields
    assert ("api_key_sid", "invalid_api_key_sid") in fields
    assert ("api_key_secret", "required") in fields
    assert two_senders.status_code == 422
    assert two_senders.json()["error"]["details"][0]["code"] == "one_sender_required"
    assert no_credentials.status_code == 422
    assert no_credentials.json()["error"]["details"][0]["code"] == "credentials_required"
    assert rate.status_code == 422
    assert twilio.requests == [] and stored(fixture.workspace) is None


def test_changing_the_sender_keeps_the_stored_token_and_is_audited(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    client = api(fixture)
    assert put(client, connect_body(account)).status_code == 200

    changed = put(
        client, {"account_sid": account.sid, "phone_number": "+14155550111", "send_rate": 10}
    )

    assert changed.status_code == 200, changed.content
    assert changed.json()["auth_token_last4"] == account.auth_token[-4:]
    assert len(twilio.calls("GET", f"/Accounts/{account.sid}.json")) == 2  # checked again
    with schema_context(fixture.workspace.schema_name):
        assert SmsAccount.objects.get().auth_token == account.auth_token
    _connected, updated = events(fixture.workspace)
    assert updated.verb == "sms_account_updated"
    assert updated.changes == {
        "phone_number": {"before": "+14155550100", "after": "+14155550111"},
        "send_rate": {"before": 5, "after": 10},
    }


def test_disconnecting_forgets_it(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    client = api(fixture)
    assert put(client, connect_body(account)).status_code == 200

    gone = client.delete(PATH)

    assert gone.status_code == 204
    assert client.get(PATH).status_code == 404
    assert client.delete(PATH).json()["error"]["code"] == "not_found"
    assert stored(fixture.workspace) is None
    assert events(fixture.workspace)[-1].verb == "sms_account_disconnected"


def test_a_member_can_neither_see_nor_change_it(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    assert put(api(fixture), connect_body(account)).status_code == 200
    member = add_member(fixture.workspace, "member")
    client = bearer_client(fixture.workspace, member.email)

    assert client.get(PATH).status_code == 403
    assert put(client, connect_body(account, send_rate=9)).status_code == 403
    assert client.delete(PATH).status_code == 403
    assert stored_row(fixture.workspace).send_rate == 5


def test_another_workspace_never_reads_or_changes_it(two_workspaces, twilio: TwilioDouble) -> None:
    alpha, beta = two_workspaces
    alpha_account, beta_account = twilio.add_account(), twilio.add_account()
    alpha_client, beta_client = api(alpha), api(beta)
    assert put(alpha_client, connect_body(alpha_account)).status_code == 200

    assert beta_client.get(PATH).status_code == 404  # B's own workspace has none
    assert put(beta_client, connect_body(beta_account, send_rate=2)).status_code == 200
    assert beta_client.delete(PATH).status_code == 204
    beta_token = beta_client.defaults["HTTP_AUTHORIZATION"]
    at_alpha = alpha.client()
    for answer in (
        at_alpha.get(PATH, HTTP_AUTHORIZATION=beta_token),
        at_alpha.delete(PATH, HTTP_AUTHORIZATION=beta_token),
        at_alpha.put(
            PATH,
            connect_body(beta_account),
            content_type="application/json",
            HTTP_AUTHORIZATION=beta_token,
        ),
    ):
        assert answer.status_code == 401
        assert alpha_account.auth_token not in answer.content.decode()

    row = stored(alpha.workspace)
    assert row is not None and row.account_sid == alpha_account.sid and row.send_rate == 5
    assert alpha_client.get(PATH).json()["account_sid"] == alpha_account.sid
    assert [e.verb for e in events(alpha.workspace)] == ["sms_account_connected"]


def test_a_rotated_key_still_reads_old_secrets(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace("alpha")
    account = twilio.add_account()
    old_key = "b2xkLWtleS1mb3ItdGhlLXNtcy10ZXN0cy0zMmJ5dGU="
    new_key = "bmV3LWtleS1mb3ItdGhlLXNtcy10ZXN0cy0zMmJ5dGU="
    with override_settings(CRM_FIELD_ENCRYPTION_KEYS=[old_key]):
        assert put(api(fixture), connect_body(account)).status_code == 200
    encrypted = stored_row(fixture.workspace).auth_token_encrypted

    with override_settings(CRM_FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        assert stored_row(fixture.workspace).auth_token == account.auth_token
        rotated = reencrypt(encrypted)
    with override_settings(CRM_FIELD_ENCRYPTION_KEYS=[new_key]):
        with pytest.raises(UnreadableSecret, match="CRM_FIELD_ENCRYPTION_KEY"):
            _ = stored_row(fixture.workspace).auth_token
        row = stored_row(fixture.workspace)
        row.auth_token_encrypted = rotated
        assert row.auth_token == account.auth_token
