"""The Twilio double signs its status callbacks exactly as Twilio does (twilio's own
RequestValidator accepts them, and rejects them once anything is changed), and lists
messages as Twilio does, within the account that made them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from sms.gateway import Sms, TwilioCredentials, send_sms, twilio_client
from tests.support.twilio_double import TwilioDouble, signature


@contextmanager
def receiver(auth_token: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback endpoint that checks each POST with twilio's validator: 204 or 403."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            params = dict(parse_qsl(body, keep_blank_values=True))
            url = f"http://{self.headers['Host']}{self.path}"
            valid = RequestValidator(auth_token).validate(
                url, params, self.headers.get("X-Twilio-Signature", "")
            )
            received.append({"path": self.path, "params": params, "valid": valid})
            self.send_response(204 if valid else 403)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_the_signature_is_twilios() -> None:
    url = "https://alpha.crm.example/webhooks/twilio/status?message=42"
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+14155550123"}
    validator = RequestValidator("12345678901234567890123456789012")

    signed = signature(url, params, "12345678901234567890123456789012")

    assert validator.validate(url, params, signed)
    assert not validator.validate(url, {**params, "MessageStatus": "failed"}, signed)
    assert not validator.validate(url.replace("42", "43"), params, signed)
    assert not validator.validate(url, params, signature(url, params, "x" * 32))


def test_a_status_callback_reaches_its_url_signed_with_the_accounts_token(
    twilio: TwilioDouble,
) -> None:
    account = twilio.add_account()
    key_sid, key_secret = account.add_api_key()  # sent with a key, signed with the auth token
    with receiver(account.auth_token) as (base, received):
        sent = send_sms(
            TwilioCredentials(account.sid, key_sid, key_secret),
            Sms(
                to="+14155550123",
                body="Hi",
                from_number="+14155550100",
                status_callback=f"{base}/webhooks/twilio/status?message=42",
            ),
        )

        assert twilio.status_callback(sent.sid, "sent") == 204
        assert twilio.status_callback(sent.sid, "undelivered", error_code=30003) == 204

    [first, second] = received
    assert first["valid"] and second["valid"]
    assert first["path"] == "/webhooks/twilio/status?message=42"  # our id comes back
    assert first["params"]["MessageSid"] == sent.sid
    assert first["params"]["MessageStatus"] == "sent"
    assert second["params"]["ErrorCode"] == "30003"
    assert twilio.messages[sent.sid]["status"] == "undelivered"


def test_a_callback_signed_with_another_token_is_refused(twilio: TwilioDouble) -> None:
    account = twilio.add_account()
    credentials = TwilioCredentials(account.sid, account.sid, account.auth_token)
    with receiver("another-accounts-token-0123456789") as (base, received):
        sent = send_sms(
            credentials,
            Sms(to="+14155550123", body="Hi", from_number="+14155550100", status_callback=base),
        )
        assert twilio.status_callback(sent.sid, "delivered") == 403
    assert received[0]["valid"] is False


def test_messages_list_by_date_sent_and_stay_in_their_account(twilio: TwilioDouble) -> None:
    account, other = twilio.add_account(), twilio.add_account()
    credentials = TwilioCredentials(account.sid, account.sid, account.auth_token)
    text = Sms(to="+14155550123", body="Hi", from_number="+14155550100", status_callback="")
    queued, delivered = send_sms(credentials, text), send_sms(credentials, text)
    twilio.messages[delivered.sid]["status"] = "delivered"
    twilio.messages[delivered.sid]["date_sent"] = twilio.messages[delivered.sid]["date_created"]
    client = twilio_client(credentials)

    today = client.messages.list(to="+14155550123", date_sent_after=datetime.now(UTC))

    assert [m.sid for m in today] == [delivered.sid]  # a queued message has no date_sent yet
    assert {m.sid for m in client.messages.list(to="+14155550123")} == {queued.sid, delivered.sid}
    assert client.messages.list(to="+14155550199") == []
    stranger = twilio_client(TwilioCredentials(other.sid, other.sid, other.auth_token))
    try:
        stranger.messages(queued.sid).fetch()
    except TwilioRestException as error:
        assert error.status == 404
    else:
        raise AssertionError("another account fetched the message")
