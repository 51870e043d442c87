"""The SMS gateway through the official twilio client against the loopback Twilio double:
sends with a number or a messaging service, with the auth token or an API key, each failure
mode mapped onto the gateway's errors, and a lost send found again before any resend."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from mail.gateway import TransientSendError
from sms.gateway import (
    Sms,
    SmsRefused,
    TwilioCredentials,
    check_credentials,
    fetch_sms,
    find_sent_sms,
    send_sms,
    twilio_client,
)
from tests.support.twilio_double import TwilioAccount, TwilioDouble, rfc2822

TO = "+14155550123"
OTHER = "+14155550199"
SENDER = "+14155550100"
SERVICE = "MG" + "ab" * 16


def token_credentials(account: TwilioAccount) -> TwilioCredentials:
    return TwilioCredentials(account.sid, account.sid, account.auth_token)


def text(body: str = "Webinar at 6pm", to: str = TO, message_id: int = 7) -> Sms:
    return Sms(
        to=to,
        body=body,
        from_number=SENDER,
        status_callback=f"https://alpha.crm.example/webhooks/twilio/status?message={message_id}",
    )


def username_of(request: dict) -> str:
    return base64.b64decode(request["auth"].removeprefix("Basic ")).decode().partition(":")[0]


def test_the_client_goes_to_the_configured_base_url(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    client = twilio_client(token_credentials(account))
    assert client.api.base_url == twilio.url
    with override_settings(TWILIO_API_BASE="https://api.twilio.com"):
        assert twilio_client(token_credentials(account)).api.base_url == "https://api.twilio.com"


def test_a_text_from_a_number_reaches_twilio_with_our_id_in_its_callback(
    twilio: TwilioDouble,
) -> None:
    account = twilio.add_account()

    sent = send_sms(token_credentials(account), text())

    [message] = twilio.sent(account.sid)
    assert sent.sid == message["sid"] and sent.sid.startswith("SM")
    assert (message["to"], message["from"], message["body"]) == (TO, SENDER, "Webinar at 6pm")
    assert sent.status == "queued" and sent.segments == 1
    [call] = twilio.calls("POST", "/Messages.json")
    assert call["form"]["StatusCallback"].endswith("?message=7")
    assert username_of(call) == account.sid
    assert fetch_sms(token_credentials(account), sent.sid).status == "queued"


def test_a_text_through_a_messaging_service_with_an_api_key(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    key_sid, key_secret = account.add_api_key()
    credentials = TwilioCredentials(account.sid, key_sid, key_secret)

    sent = send_sms(credentials, Sms(to=TO, body="Hi", messaging_service_sid=SERVICE))

    [call] = twilio.calls("POST", "/Messages.json")
    assert username_of(call) == key_sid
    assert call["form"]["MessagingServiceSid"] == SERVICE and "From" not in call["form"]
    assert sent.status == "accepted"
    assert check_credentials(credentials).sid == account.sid


def test_a_text_has_exactly_one_sender(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    with pytest.raises(ValueError, match="exactly one sender"):
        send_sms(token_credentials(account), Sms(to=TO, body="Hi"))
    assert twilio.requests == []


def test_429_is_transient_with_twilios_retry_after_and_nothing_sent(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    twilio.fail_next = [429]
    twilio.retry_after = 3

    with pytest.raises(TransientSendError) as raised:
        send_sms(token_credentials(account), text())

    assert raised.value.retry_after == 3.0
    assert raised.value.accepted_nothing is True
    assert twilio.sent() == []
    send_sms(token_credentials(account), text())  # the next call goes through
    assert len(twilio.sent()) == 1


@pytest.mark.parametrize(("status", "accepted_nothing"), [(500, False), (503, True)])
def test_5xx_is_transient(twilio: TwilioDouble, status: int, accepted_nothing: bool) -> None:
    account = twilio.add_account()
    twilio.fail_next = [status]

    with pytest.raises(TransientSendError) as raised:
        send_sms(token_credentials(account), text())

    assert f"Twilio answered {status}" in str(raised.value)
    assert raised.value.accepted_nothing is accepted_nothing
    assert raised.value.retry_after is None


@pytest.mark.parametrize("failure", ["slow", "drop"])
def test_a_lost_answer_is_transient_and_the_send_is_found_before_any_resend(
    twilio: TwilioDouble, failure: str
) -> None:
    account = twilio.add_account()
    credentials = token_credentials(account)
    started = datetime.now(UTC)
    send_sms(credentials, text(body="Your cart is waiting", to=OTHER))  # another number
    send_sms(credentials, text(body="Something else"))  # another body
    twilio.fail_next = [failure]

    with pytest.raises(TransientSendError) as raised:
        send_sms(credentials, text(body="Your cart is waiting"))

    assert raised.value.accepted_nothing is False  # it may have gone: look before resending
    [found] = find_sent_sms(
        credentials, to=TO, body="Your cart is waiting", since=started, from_number=SENDER
    )
    [message] = [m for m in twilio.sent_to(TO) if m["body"] == "Your cart is waiting"]
    assert found.sid == message["sid"]
    assert find_sent_sms(credentials, to=TO, body="Never sent", since=started) == []


def test_a_lookup_pages_through_twilio_and_stops_at_older_messages(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    credentials = token_credentials(account)
    old = send_sms(credentials, text(body="Same words"))
    long_ago = datetime.now(UTC) - timedelta(days=2)
    twilio.messages[old.sid]["date_created"] = rfc2822(long_ago)
    twilio.messages[old.sid]["_created"] = long_ago.timestamp()
    started = datetime.now(UTC)
    for number in range(55):  # more than one page of 50
        send_sms(credentials, text(body=f"Filler {number}"))
    recent = send_sms(credentials, text(body="Same words"))
    twilio.messages[recent.sid]["_created"] = started.timestamp()  # the oldest of the new ones

    found = find_sent_sms(credentials, to=TO, body="Same words", since=started)

    assert [sms.sid for sms in found] == [recent.sid]  # not the one from two days ago
    pages = [c for c in twilio.calls("GET", "/Messages.json")]
    assert len(pages) == 2 and pages[0]["query"]["To"] == TO


@pytest.mark.parametrize(
    ("to", "code", "undeliverable", "opted_out"),
    [
        ("+1415555", 21211, True, False),  # not a valid number
        ("+14155550142", 21614, True, False),  # a landline
        ("+14155550143", 21610, False, True),  # replied STOP to this sender
    ],
)
def test_refusals_are_permanent_with_twilios_code(
    twilio: TwilioDouble, to: str, code: int, undeliverable: bool, opted_out: bool
) -> None:
    account = twilio.add_account()
    twilio.refusals = {"+14155550142": 21614, "+14155550143": 21610}

    with pytest.raises(SmsRefused) as raised:
        send_sms(token_credentials(account), text(to=to))

    assert raised.value.code == code and raised.value.status == 400
    assert raised.value.recipient_undeliverable is undeliverable
    assert raised.value.recipient_opted_out is opted_out
    assert raised.value.bad_credentials is False
    assert str(code) in str(raised.value)
    assert twilio.sent() == []


def test_wrong_credentials_are_permanent_and_named(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    other = twilio.add_account()
    for credentials in (
        TwilioCredentials(account.sid, account.sid, "0" * 32),
        TwilioCredentials(account.sid, other.sid, other.auth_token),  # B's token, A's account
    ):
        with pytest.raises(SmsRefused) as raised:
            send_sms(credentials, text())
        assert raised.value.bad_credentials and raised.value.code == 20003
    assert twilio.sent() == []


def test_credentials_never_show_in_their_repr() -> None:
    credentials = TwilioCredentials("AC" + "1" * 32, "AC" + "1" * 32, "supersecrettoken1234")
    assert "supersecrettoken1234" not in repr(credentials)
