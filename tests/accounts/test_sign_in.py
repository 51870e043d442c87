"""Signing in to a workspace: success, failure, lock-out, limits, sessions, CSRF."""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import AuditEvent
from tests.support.clients import OWNER_PASSWORD


def post_login(client: Client, email: str, password: str, **extra: str):
    return client.post("/login/", {"email": email, "password": password, **extra})


def test_owner_signs_in_and_lands_on_home(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()

    response = post_login(client, fixture.owner_email.upper(), OWNER_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_sign_in_goes_back_to_next_but_never_off_site(make_workspace) -> None:
    fixture = make_workspace()

    local = fixture.client().post(
        "/login/?next=/team/", {"email": fixture.owner_email, "password": OWNER_PASSWORD}
    )
    off_site = fixture.client().post(
        "/login/",
        {"email": fixture.owner_email, "password": OWNER_PASSWORD, "next": "https://evil.example/"},
    )

    assert local["Location"] == "/team/"
    assert off_site["Location"] == "/"


def test_wrong_password_is_refused_with_a_clear_message_and_audited(make_workspace) -> None:
    fixture = make_workspace()

    response = post_login(fixture.client(), fixture.owner_email, "wrong password")

    assert response.status_code == 200
    assert "do not match an account in this workspace" in response.text
    with schema_context(fixture.workspace.schema_name):
        assert AuditEvent.objects.filter(action="sign_in_failed").count() == 1


@override_settings(CRM_LOCKOUT_FAILURES=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()
    for _ in range(2):
        post_login(client, fixture.owner_email, "wrong password")

    third = post_login(client, fixture.owner_email, "wrong password")
    right = post_login(client, fixture.owner_email, OWNER_PASSWORD)

    assert "locked for 15 minutes" in third.text
    assert right.status_code == 200
    assert "locked" in right.text
    assert "_auth_user_id" not in client.session


@override_settings(CRM_LOCKOUT_FAILURES=2)
def test_lock_out_in_one_workspace_does_not_lock_the_same_email_elsewhere(
    make_workspace,
) -> None:
    alpha, beta = make_workspace("alpha"), make_workspace("beta")
    from tests.support.clients import add_member

    add_member(beta.workspace, "member", email=alpha.owner_email)
    for _ in range(2):
        post_login(alpha.client(), alpha.owner_email, "wrong password")

    response = post_login(beta.client(), alpha.owner_email, OWNER_PASSWORD)

    assert response.status_code == 302


def test_successful_sign_in_resets_the_failure_count(make_workspace, settings) -> None:
    settings.CRM_LOCKOUT_FAILURES = 3
    fixture = make_workspace()
    client = fixture.client()
    for _ in range(2):
        post_login(client, fixture.owner_email, "wrong password")
    post_login(client, fixture.owner_email, OWNER_PASSWORD)
    client.post("/logout/")
    for _ in range(2):
        post_login(client, fixture.owner_email, "wrong password")

    assert post_login(client, fixture.owner_email, OWNER_PASSWORD).status_code == 302


@override_settings(CRM_LOGIN_RATE_IP="3/m")
def test_sign_in_is_rate_limited_per_ip(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()
    for _ in range(3):
        post_login(client, "someone@x.example", "whatever")

    response = post_login(client, fixture.owner_email, OWNER_PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.text


@override_settings(CRM_LOGIN_RATE_EMAIL="2/m")
def test_sign_in_is_rate_limited_per_email_across_ips(make_workspace) -> None:
    fixture = make_workspace()
    for address in ("10.0.0.1", "10.0.0.2"):
        post_login(fixture.client(), fixture.owner_email, "wrong", REMOTE_ADDR=address)

    response = fixture.client().post(
        "/login/",
        {"email": fixture.owner_email, "password": OWNER_PASSWORD},
        REMOTE_ADDR="10.0.0.3",
    )

    assert response.status_code == 429


def test_session_is_rotated_at_sign_in(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()
    with schema_context(fixture.workspace.schema_name):
        planted = SessionStore()
        planted["planted"] = True
        planted.create()
    client.cookies["sessionid"] = planted.session_key

    post_login(client, fixture.owner_email, OWNER_PASSWORD)

    rotated = client.cookies["sessionid"].value
    assert rotated != planted.session_key
    with schema_context(fixture.workspace.schema_name):
        assert SessionStore(rotated)["planted"] is True  # same data, new key
        assert not SessionStore().exists(str(planted.session_key))


def test_remember_me_keeps_the_session_for_30_days_else_until_the_browser_closes(
    make_workspace,
) -> None:
    fixture = make_workspace()
    remembered, forgotten = fixture.client(), fixture.client()

    post_login(remembered, fixture.owner_email, OWNER_PASSWORD, remember_me="on")
    post_login(forgotten, fixture.owner_email, OWNER_PASSWORD)

    assert remembered.session.get_expiry_age() == 30 * 24 * 3600
    assert forgotten.session.get_expire_at_browser_close()


def test_sign_in_form_requires_csrf(make_workspace) -> None:
    fixture = make_workspace()
    client = Client(HTTP_HOST=fixture.host, enforce_csrf_checks=True)

    response = post_login(client, fixture.owner_email, OWNER_PASSWORD)

    assert response.status_code == 403


def test_sign_out_ends_the_session(make_workspace) -> None:
    client = make_workspace().signed_in_client()

    client.post("/logout/")

    assert client.get("/").status_code == 302


def test_deactivated_member_cannot_sign_in(make_workspace) -> None:
    from tests.support.clients import add_member

    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    with schema_context(fixture.workspace.schema_name):
        member.is_active = False
        member.save()

    response = post_login(fixture.client(), member.email, OWNER_PASSWORD)

    assert response.status_code == 200
    assert "do not match" in response.text
