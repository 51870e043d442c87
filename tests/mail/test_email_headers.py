"""No header value can carry a line break out of the gateway (mail/gateway.py): not to the
Postmark double through postmarker, not into the development outbox."""

from __future__ import annotations

from typing import Any

from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from mail.gateway import Email, send_batch, send_email
from tests.support.clients import outbox_of

# What a name could smuggle in: every kind of line break a mail system may act on.
BREAKS = ["\r\n", "\r", "\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def hostile(text: str, line_break: str) -> str:
    return f"{text}{line_break}Bcc: attacker@evil.example"


def hostile_email(line_break: str) -> Email:
    return Email(
        to="lead@x.example",
        subject=hostile("Your offer", line_break),
        text_body="Line one\nline two",
        from_name=hostile("Acme", line_break),
        reply_to=hostile("reply@acme.example", line_break),
        tag=hostile("one-off", line_break),
        headers={"X-Note": hostile("note", line_break)},
    )


def has_a_break(value: str) -> bool:
    return any(line_break in value for line_break in BREAKS)


def header_values(message: dict[str, Any]) -> list[str]:
    """Every value of a message, as the double received it, that becomes a header."""
    values = [message.get(name) or "" for name in ("To", "Subject", "From", "ReplyTo", "Tag")]
    for header in message.get("Headers") or []:  # postmarker sends [{"Name", "Value"}]
        values += [header["Name"], header["Value"]]
    return values


def test_no_header_reaches_postmark_with_a_line_break(make_workspace, postmark) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        for line_break in BREAKS:
            send_email(hostile_email(line_break))
        send_batch([hostile_email(line_break) for line_break in BREAKS])

    assert len(postmark.received) == 2 * len(BREAKS)
    for message in postmark.received:
        assert not any(has_a_break(value) for value in header_values(message)), message
        assert message["Subject"] == "Your offer Bcc: attacker@evil.example"
        assert message["TextBody"] == "Line one\nline two"  # bodies keep their lines


def test_no_header_lands_in_the_outbox_with_a_line_break(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        for line_break in BREAKS:
            send_email(hostile_email(line_break))
        send_batch([hostile_email(line_break) for line_break in BREAKS])

    stored = outbox_of(fixture.workspace)
    assert len(stored) == 2 * len(BREAKS)
    for email in stored:
        values = [email.to, email.subject, email.from_email, email.reply_to, email.tag]
        values += [*email.headers.keys(), *email.headers.values()]
        assert not any(has_a_break(value) for value in values), values
        assert email.text_body == "Line one\nline two"


def give_owner_a_hostile_name(fixture) -> None:
    with schema_context(fixture.workspace.schema_name):
        User.objects.filter(email=fixture.owner_email).update(
            full_name="Eve\r\nBcc: attacker@evil.example"
        )


def test_an_invitation_from_a_member_with_a_hostile_name_adds_no_header(
    two_workspaces, postmark
) -> None:
    alpha, beta = two_workspaces
    give_owner_a_hostile_name(alpha)

    alpha.signed_in_client().post("/team/invite/", {"email": "sam@new.example", "role": "member"})

    [invitation] = postmark.received
    assert invitation["To"] == "sam@new.example"
    assert invitation["Subject"] == (
        "Eve Bcc: attacker@evil.example invited you to their workspace"
    )
    assert not any(has_a_break(value) for value in header_values(invitation))
    assert outbox_of(beta.workspace) == []


def test_an_invitation_in_the_outbox_has_a_one_line_subject(two_workspaces) -> None:
    alpha, beta = two_workspaces
    give_owner_a_hostile_name(alpha)

    with override_settings(POSTMARK_SERVER_TOKEN=""):
        alpha.signed_in_client().post(
            "/team/invite/", {"email": "sam@new.example", "role": "member"}
        )

    [invitation] = outbox_of(alpha.workspace)
    assert invitation.subject == "Eve Bcc: attacker@evil.example invited you to their workspace"
    assert outbox_of(beta.workspace) == []
