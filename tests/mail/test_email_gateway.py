"""Account emails go through postmarker to Postmark when a token is set, else to the outbox."""

from __future__ import annotations

from django.test import override_settings

from tests.support.clients import outbox_of
from tests.support.fakes import fake_postmark


def test_reset_email_goes_through_postmark_when_a_token_is_set(make_workspace) -> None:
    fixture = make_workspace()
    with (
        fake_postmark() as postmark,
        override_settings(POSTMARK_SERVER_TOKEN="server-token-1", POSTMARK_API_URL=postmark.url),
    ):
        fixture.client().post("/password-reset/", {"email": fixture.owner_email})

    [message] = postmark.received
    assert message["To"] == fixture.owner_email
    assert message["MessageStream"] == "outbound"
    assert f"http://{fixture.host}:8000/password-reset/confirm/?token=" in message["TextBody"]
    assert postmark.tokens == ["server-token-1"]
    assert outbox_of(fixture.workspace) == []


def test_without_a_token_emails_land_in_the_outbox_page(make_workspace) -> None:
    fixture = make_workspace()
    fixture.client().post("/password-reset/", {"email": fixture.owner_email})

    page = fixture.signed_in_client().get("/dev/outbox/")

    assert page.status_code == 200
    assert "Reset your password" in page.text
    assert fixture.owner_email in page.text
