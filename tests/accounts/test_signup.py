"""Sign-up on the apex lands the visitor, signed in, in a new workspace at its subdomain."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import OneTimeToken, User
from tenants.models import Workspace
from tests.support.clients import OWNER_PASSWORD, link_in, outbox_of

FORM = {
    "name": "Acme Coaching",
    "slug": "acme",
    "owner_name": "Ada Lovelace",
    "owner_email": "ada@acme.example",
    "owner_password": OWNER_PASSWORD,
}


def sign_up(apex_client: Client, **changes: str):
    return apex_client.post("/signup/", {**FORM, **changes})


def test_signup_form_hands_the_new_owner_off_signed_in(apex_client) -> None:
    response = sign_up(apex_client)

    assert response.status_code == 302
    assert response["Location"].startswith("http://acme.localhost:8000/auth/handoff/?token=")
    browser = Client(HTTP_HOST="acme.localhost")
    landed = browser.get(response["Location"].split(":8000")[1], follow=True)
    assert landed.status_code == 200
    assert "Welcome to Acme Coaching" in landed.text
    assert "Your workspace is ready" in landed.text
    assert "ada@acme.example" in landed.text  # the user menu


def test_handoff_link_works_once(apex_client) -> None:
    path = sign_up(apex_client)["Location"].split(":8000")[1]
    Client(HTTP_HOST="acme.localhost").get(path)

    replay = Client(HTTP_HOST="acme.localhost").get(path)

    assert replay.status_code == 401
    assert "This sign-in link has expired" in replay.text


def test_expired_handoff_link_is_refused(apex_client) -> None:
    path = sign_up(apex_client)["Location"].split(":8000")[1]
    with schema_context("ws_acme"):
        OneTimeToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client(HTTP_HOST="acme.localhost").get(path)

    assert response.status_code == 401


def test_handoff_link_of_one_workspace_is_unknown_in_another(apex_client, make_workspace) -> None:
    other = make_workspace("other")
    path = sign_up(apex_client)["Location"].split(":8000")[1]

    response = other.client().get(path)

    assert response.status_code == 401
    assert "_auth_user_id" not in other.client().session


def test_signup_sends_a_verification_email_that_confirms_the_address(apex_client) -> None:
    sign_up(apex_client)
    workspace = Workspace.objects.get(slug="acme")
    [email] = outbox_of(workspace)

    response = Client(HTTP_HOST="acme.localhost").get(link_in(email, "/auth/verify-email/"))

    assert email.to == "ada@acme.example"
    assert response.status_code == 302
    with schema_context("ws_acme"):
        assert User.objects.get().email_verified_at is not None


def test_signup_form_shows_field_errors_and_creates_nothing(apex_client, make_workspace) -> None:
    make_workspace("acme")

    taken = sign_up(apex_client)
    invalid = sign_up(apex_client, slug="-x", owner_email="nope", owner_password="123")

    assert taken.status_code == 200
    assert "already taken" in taken.text
    assert "The address must be 3 to 40 characters long." in invalid.text or (
        "Use lower-case letters" in invalid.text
    )
    assert "Enter a valid email address" in invalid.text
    assert "too short" in invalid.text
    assert Workspace.objects.filter(slug="acme").count() == 1


@override_settings(CRM_SIGNUP_RATE="1/m")
def test_signup_form_is_rate_limited_per_ip(apex_client) -> None:
    sign_up(apex_client)

    response = sign_up(apex_client, slug="second")

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.text
    assert not Workspace.objects.filter(slug="second").exists()


def test_signup_api_also_sends_the_verification_email(apex_client) -> None:
    apex_client.post(
        "/api/workspaces",
        {k: v for k, v in FORM.items() if k != "owner_name"},
        content_type="application/json",
    )

    assert [email.to for email in outbox_of(Workspace.objects.get(slug="acme"))] == [
        "ada@acme.example"
    ]
