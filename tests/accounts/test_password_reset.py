"""Password reset by emailed link: works once, expires, stays inside its workspace."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import OneTimeToken
from tests.support.clients import OWNER_PASSWORD, link_in, outbox_of

NEW_PASSWORD = "a brand new passphrase 42"


def ask_for_reset(fixture) -> str:
    response = fixture.client().post("/password-reset/", {"email": fixture.owner_email})
    assert "If an account in this workspace uses that address" in response.text
    return link_in(outbox_of(fixture.workspace)[-1], "/password-reset/confirm/")


def test_reset_link_sets_a_new_password(make_workspace) -> None:
    fixture = make_workspace()
    link = ask_for_reset(fixture)

    saved = fixture.client().post(link, {"password": NEW_PASSWORD})

    assert saved.status_code == 302
    assert saved["Location"] == "/login/"
    old = fixture.client().post(
        "/login/", {"email": fixture.owner_email, "password": OWNER_PASSWORD}
    )
    new = fixture.client().post("/login/", {"email": fixture.owner_email, "password": NEW_PASSWORD})
    assert old.status_code == 200
    assert new.status_code == 302


def test_reset_link_works_only_once(make_workspace) -> None:
    fixture = make_workspace()
    link = ask_for_reset(fixture)
    fixture.client().post(link, {"password": NEW_PASSWORD})

    again = fixture.client().post(link, {"password": "yet another passphrase"})

    assert again.status_code == 400
    assert "This reset link has expired" in again.text


def test_expired_reset_link_is_refused(make_workspace) -> None:
    fixture = make_workspace()
    link = ask_for_reset(fixture)
    with schema_context(fixture.workspace.schema_name):
        OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = fixture.client().get(link)

    assert response.status_code == 400
    assert "Send a new link" in response.text


def test_weak_new_password_is_refused_and_the_link_still_works(make_workspace) -> None:
    fixture = make_workspace()
    link = ask_for_reset(fixture)

    weak = fixture.client().post(link, {"password": "123"})
    strong = fixture.client().post(link, {"password": NEW_PASSWORD})

    assert weak.status_code == 200
    assert "too short" in weak.text
    assert strong.status_code == 302


def test_opening_the_link_does_not_use_it_up(make_workspace) -> None:
    fixture = make_workspace()
    link = ask_for_reset(fixture)

    fixture.client().get(link)  # a mail scanner following the link
    response = fixture.client().post(link, {"password": NEW_PASSWORD})

    assert response.status_code == 302


def test_unknown_email_gets_the_same_answer_and_no_email(make_workspace) -> None:
    fixture = make_workspace()

    response = fixture.client().post("/password-reset/", {"email": "nobody@x.example"})

    assert "If an account in this workspace uses that address" in response.text
    assert outbox_of(fixture.workspace) == []


def test_reset_link_of_one_workspace_is_unknown_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    link = ask_for_reset(alpha)

    response = Client(HTTP_HOST=beta.host).post(link, {"password": NEW_PASSWORD})

    assert response.status_code == 400
    assert alpha.client().post(link, {"password": NEW_PASSWORD}).status_code == 302
