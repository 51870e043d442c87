"""The team: invitations, roles, deactivation and ownership, in the UI and the API."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import AuditEvent, OneTimeToken, User
from tests.support.clients import OWNER_PASSWORD, add_member, link_in, outbox_of, sign_in_client
from tests.support.pages import page_text


def invite(client: Client, email: str, role: str = "member"):
    return client.post("/team/invite/", {"email": email, "role": role})


def test_invitee_accepts_sets_name_and_password_and_is_signed_in(make_workspace) -> None:
    fixture = make_workspace()
    invite(fixture.signed_in_client(), "sam@new.example", role="admin")
    link = link_in(outbox_of(fixture.workspace)[-1], "/invite/accept/")
    invitee = fixture.client()

    form = invitee.get(link)
    accepted = invitee.post(link, {"full_name": "Sam Admin", "password": OWNER_PASSWORD})

    assert "You were invited as admin with sam@new.example" in form.text
    assert accepted.status_code == 302
    signed_in = page_text(invitee.get("/"))
    assert "sam@new.example Admin Sign out" in signed_in  # the user menu
    with schema_context(fixture.workspace.schema_name):
        sam = User.objects.get(email="sam@new.example")
        assert (sam.full_name, sam.role) == ("Sam Admin", "admin")
        assert AuditEvent.objects.filter(action="member_invited").exists()


def test_invitation_link_works_once_and_expires(make_workspace) -> None:
    fixture = make_workspace()
    invite(fixture.signed_in_client(), "a@new.example")
    invite(fixture.signed_in_client(), "b@new.example")
    first, second = (link_in(email, "/invite/accept/") for email in outbox_of(fixture.workspace))
    fixture.client().post(first, {"full_name": "A", "password": OWNER_PASSWORD})
    with schema_context(fixture.workspace.schema_name):
        OneTimeToken.objects.filter(email="b@new.example").update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

    reused = fixture.client().post(first, {"full_name": "A", "password": OWNER_PASSWORD})
    expired = fixture.client().get(second)

    assert reused.status_code == 400
    assert expired.status_code == 400
    assert "This invitation has expired" in expired.text


def test_invitation_of_one_workspace_is_unknown_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    invite(alpha.signed_in_client(), "x@new.example")
    link = link_in(outbox_of(alpha.workspace)[-1], "/invite/accept/")

    response = beta.client().post(link, {"full_name": "X", "password": OWNER_PASSWORD})

    assert response.status_code == 400
    with schema_context(beta.workspace.schema_name):
        assert not User.objects.filter(email="x@new.example").exists()


def test_inviting_an_existing_member_is_refused(make_workspace) -> None:
    fixture = make_workspace()

    response = invite(fixture.signed_in_client(), fixture.owner_email.upper())

    assert response.status_code == 409
    assert "already a member" in response.text


def test_member_cannot_invite(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")

    response = invite(sign_in_client(fixture.workspace, member.email), "z@new.example")

    assert response.status_code == 403
    assert outbox_of(fixture.workspace) == []


def test_team_page_lists_members_with_roles(make_workspace) -> None:
    fixture = make_workspace()
    add_member(fixture.workspace, "admin")

    page = fixture.signed_in_client().get("/team/")

    assert page.status_code == 200
    assert f"admin@{fixture.workspace.slug}.example" in page.text
    assert "Send invitation" in page.text


def test_admin_changes_a_role_and_it_is_audited(make_workspace) -> None:
    fixture = make_workspace()
    admin = add_member(fixture.workspace, "admin")
    member = add_member(fixture.workspace, "member")

    response = sign_in_client(fixture.workspace, admin.email).post(
        f"/team/{member.pk}/role/", {"role": "admin"}
    )

    assert response.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        assert User.objects.get(pk=member.pk).role == "admin"
        event = AuditEvent.objects.get(action="member_role_changed")
        assert event.details == {"before": "member", "after": "admin", "email": member.email}
        assert event.actor_email == admin.email


def test_the_last_owner_cannot_be_demoted_or_deactivated(make_workspace) -> None:
    fixture = make_workspace()
    admin = add_member(fixture.workspace, "admin")
    with schema_context(fixture.workspace.schema_name):
        owner = User.objects.get(role="owner")
    demote = fixture.signed_in_client().post(f"/team/{owner.pk}/role/", {"role": "admin"})
    by_admin = sign_in_client(fixture.workspace, admin.email).post(f"/team/{owner.pk}/deactivate/")

    assert demote.status_code == 409
    assert "needs an owner" in demote.text
    assert by_admin.status_code == 403
    with schema_context(fixture.workspace.schema_name):
        assert User.objects.get(pk=owner.pk).role == "owner"
        assert User.objects.get(pk=owner.pk).is_active


def test_owner_transfers_ownership_and_becomes_admin(make_workspace) -> None:
    fixture = make_workspace()
    admin = add_member(fixture.workspace, "admin")

    response = fixture.signed_in_client().post(f"/team/{admin.pk}/transfer/")

    assert response.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        roles = dict(User.objects.values_list("email", "role"))
        assert AuditEvent.objects.filter(action="ownership_transferred").exists()
    assert roles == {fixture.owner_email: "admin", admin.email: "owner"}


def test_deactivated_member_loses_session_and_tokens_at_once(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    member_client = sign_in_client(fixture.workspace, member.email)
    token = (
        fixture.client()
        .post(
            "/api/v1/auth/token",
            {"email": member.email, "password": OWNER_PASSWORD},
            content_type="application/json",
        )
        .json()["access_token"]
    )

    fixture.signed_in_client().post(f"/team/{member.pk}/deactivate/")

    assert member_client.get("/").status_code == 302
    api = fixture.client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 401


def test_reactivating_a_member_revives_nothing_from_before_the_deactivation(
    two_workspaces,
) -> None:
    alpha, beta = two_workspaces
    member = add_member(alpha.workspace, "admin", email="sam@team.example")
    add_member(beta.workspace, "admin", email="sam@team.example")  # the same person, elsewhere
    browser = sign_in_client(alpha.workspace, member.email)
    remembered = alpha.client()
    remembered.post(
        "/login/", {"email": member.email, "password": OWNER_PASSWORD, "remember_me": "on"}
    )
    elsewhere = sign_in_client(beta.workspace, member.email)
    pair = (
        alpha.client()
        .post(
            "/api/v1/auth/token",
            {"email": member.email, "password": OWNER_PASSWORD},
            content_type="application/json",
        )
        .json()
    )
    api_key = browser.post(
        "/api/v1/api-keys", {"name": "Zapier"}, content_type="application/json"
    ).json()["key"]
    alpha.client().post("/password-reset/", {"email": member.email})
    reset_link = link_in(outbox_of(alpha.workspace)[-1], "/password-reset/confirm/")
    owner = alpha.signed_in_client()

    owner.post(f"/team/{member.pk}/deactivate/")
    owner.post(f"/team/{member.pk}/reactivate/")

    assert browser.get("/team/").status_code == 302  # to the sign-in page
    assert remembered.get("/team/").status_code == 302
    for credential in (pair["access_token"], api_key):
        me = alpha.client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {credential}")
        assert me.status_code == 401
    refreshed = alpha.client().post(
        "/api/v1/auth/refresh",
        {"refresh_token": pair["refresh_token"]},
        content_type="application/json",
    )
    assert refreshed.status_code == 401
    assert alpha.client().get(reset_link).status_code == 400
    assert elsewhere.get("/team/").status_code == 200  # beta's session is beta's own
    assert sign_in_client(alpha.workspace, member.email).get("/team/").status_code == 200


def test_team_api_lists_and_changes_roles(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = fixture.signed_in_client()

    listed = client.get("/api/v1/team")
    changed = client.patch(
        f"/api/v1/team/{member.pk}", {"role": "admin"}, content_type="application/json"
    )
    invalid = client.patch(
        f"/api/v1/team/{member.pk}", {"role": "owner"}, content_type="application/json"
    )
    missing = client.patch(
        "/api/v1/team/999999", {"role": "admin"}, content_type="application/json"
    )

    assert [m["email"] for m in listed.json()] == [member.email, fixture.owner_email]
    assert changed.json()["role"] == "admin"
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"][0]["field"] == "role"
    assert missing.status_code == 404


def test_team_member_of_another_workspace_is_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    stranger = add_member(beta.workspace, "member", email="stranger@beta.example")
    assert stranger.pk == 2  # alpha has only its owner, id 1: no row 2 there

    response = alpha.signed_in_client().patch(
        f"/api/v1/team/{stranger.pk}", {"role": "admin"}, content_type="application/json"
    )
    listed = alpha.signed_in_client().get("/api/v1/team").json()

    assert response.status_code == 404
    assert "stranger@beta.example" not in str(listed)
    with schema_context(beta.workspace.schema_name):
        assert User.objects.get(pk=stranger.pk).role == "member"
