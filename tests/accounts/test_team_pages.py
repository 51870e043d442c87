"""The team page: pending invitations with resend and revoke, what a used or withdrawn
link says, and the confirmation that spells out each action's consequence first."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import ApiKey, AuditEvent, OneTimeToken, User
from accounts.services.api_auth import create_api_key
from tests.support.clients import OWNER_PASSWORD, add_member, link_in, outbox_of, sign_in_client
from tests.support.pages import page_text


def invite(client: Client, email: str, role: str = "member"):
    return client.post("/team/invite/", {"email": email, "role": role})


def invitation_of(workspace, email: str) -> OneTimeToken:
    with schema_context(workspace.schema_name):
        return OneTimeToken.objects.get(purpose="invitation", email=email)


def test_a_member_is_refused_the_team_page_and_its_actions(two_workspaces):
    alpha, _ = two_workspaces
    member = add_member(alpha.workspace, "member")
    client = sign_in_client(alpha.workspace, member.email)

    page = client.get("/team/")
    posted = invite(client, "x@new.example")

    assert page.status_code == 403
    assert "Only admins and the owner manage the team" in page_text(page)
    assert posted.status_code == 403
    assert not outbox_of(alpha.workspace)


def test_pending_invitations_are_listed_with_resend_and_revoke(two_workspaces):
    alpha, _ = two_workspaces
    owner = alpha.signed_in_client()
    invite(owner, "sam@new.example", role="admin")

    text = page_text(owner.get("/team/"))

    assert "Pending invitations" in text
    assert "sam@new.example Admin" in text
    assert "Resend" in text and "Revoke" in text


def test_an_invalid_invitation_address_is_shown_beside_the_field(two_workspaces):
    alpha, _ = two_workspaces

    response = invite(alpha.signed_in_client(), "not-an-address")

    assert response.status_code == 422
    assert "Enter a valid email address." in page_text(response)


def test_resending_mails_a_new_link_and_the_old_one_says_it_was_replaced(two_workspaces):
    alpha, _ = two_workspaces
    owner = alpha.signed_in_client()
    invite(owner, "sam@new.example")
    old_link = link_in(outbox_of(alpha.workspace)[-1], "/invite/accept/")
    invitation = invitation_of(alpha.workspace, "sam@new.example")

    response = owner.post(f"/team/invitations/{invitation.pk}/resend/")

    assert response.status_code == 302
    emails = outbox_of(alpha.workspace)
    assert len(emails) == 2 and emails[-1].to == "sam@new.example"
    new_link = link_in(emails[-1], "/invite/accept/")
    stale = alpha.client().get(old_link)
    assert stale.status_code == 400
    assert "This invitation is no longer valid" in page_text(stale)
    assert "You were invited as member" in page_text(alpha.client().get(new_link))
    with schema_context(alpha.workspace.schema_name):
        assert AuditEvent.objects.filter(action="invitation_resent").exists()


def test_revoking_asks_first_then_the_link_says_it_was_withdrawn(two_workspaces):
    alpha, _ = two_workspaces
    owner = alpha.signed_in_client()
    invite(owner, "sam@new.example")
    link = link_in(outbox_of(alpha.workspace)[-1], "/invite/accept/")
    invitation = invitation_of(alpha.workspace, "sam@new.example")

    confirm = owner.get(f"/team/invitations/{invitation.pk}/revoke/")
    assert "The link we emailed to sam@new.example stops working at once" in page_text(confirm)
    assert invitation_of(alpha.workspace, "sam@new.example")  # asking changed nothing

    done = owner.post(f"/team/invitations/{invitation.pk}/revoke/")

    assert done.status_code == 302
    assert "No invitation is waiting for an answer" in page_text(owner.get("/team/"))
    assert "withdrawn" in page_text(alpha.client().get(link))
    with schema_context(alpha.workspace.schema_name):
        event = AuditEvent.objects.get(action="invitation_revoked")
    assert event.details["email"] == "sam@new.example"


def test_a_used_invitation_says_it_was_used_not_expired(two_workspaces):
    alpha, _ = two_workspaces
    invite(alpha.signed_in_client(), "sam@new.example")
    link = link_in(outbox_of(alpha.workspace)[-1], "/invite/accept/")
    alpha.client().post(link, {"full_name": "Sam", "password": OWNER_PASSWORD})

    again = alpha.client().get(link)

    assert again.status_code == 400
    text = page_text(again)
    assert "This invitation was already used" in text
    assert "expired" not in text
    assert 'href="/login/"' in again.content.decode()


def test_another_workspace_cannot_resend_or_revoke_an_invitation(two_workspaces):
    alpha, beta = two_workspaces
    invite(alpha.signed_in_client(), "sam@new.example")
    invitation = invitation_of(alpha.workspace, "sam@new.example")
    intruder = beta.signed_in_client()

    for response in (
        intruder.get(f"/team/invitations/{invitation.pk}/revoke/"),
        intruder.post(f"/team/invitations/{invitation.pk}/revoke/"),
        intruder.post(f"/team/invitations/{invitation.pk}/resend/"),
    ):
        assert response.status_code == 404
        assert "sam@new.example" not in page_text(response)
    assert invitation_of(alpha.workspace, "sam@new.example").used_at is None
    assert len(outbox_of(alpha.workspace)) == 1


def test_deactivation_spells_out_what_ends_before_it_happens(two_workspaces):
    alpha, _ = two_workspaces
    member = add_member(alpha.workspace, "member")
    sign_in_client(alpha.workspace, member.email)
    owner = alpha.signed_in_client()

    confirm = owner.get(f"/team/{member.pk}/deactivate/")

    text = page_text(confirm)
    assert f"Deactivate {member.email}?" in text
    assert "Their 1 open session ends now" in text
    assert "their 0 API keys" in text
    with schema_context(alpha.workspace.schema_name):
        assert User.objects.get(pk=member.pk).is_active
    assert owner.post(f"/team/{member.pk}/deactivate/").status_code == 302
    with schema_context(alpha.workspace.schema_name):
        assert not User.objects.get(pk=member.pk).is_active


def test_transfer_of_ownership_asks_first_and_is_for_the_owner_only(two_workspaces):
    alpha, _ = two_workspaces
    admin = add_member(alpha.workspace, "admin")
    other = add_member(alpha.workspace, "member")
    owner = alpha.signed_in_client()

    confirm = owner.get(f"/team/{admin.pk}/transfer/")
    refused = sign_in_client(alpha.workspace, admin.email).get(f"/team/{other.pk}/transfer/")

    assert "You become an admin" in page_text(confirm)
    assert refused.status_code == 403
    assert owner.post(f"/team/{admin.pk}/transfer/").status_code == 302
    with schema_context(alpha.workspace.schema_name):
        assert User.objects.get(pk=admin.pk).role == "owner"


def test_an_api_key_is_revoked_after_a_confirmation_and_not_by_another_workspace(
    two_workspaces,
):
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        owner = User.objects.get(email=alpha.owner_email)
        key = create_api_key(actor=owner, name="Zapier").api_key
    client = alpha.signed_in_client()

    confirm = client.get(f"/settings/api-keys/{key.pk}/revoke/")
    intruder = beta.signed_in_client()
    foreign = (
        intruder.get(f"/settings/api-keys/{key.pk}/revoke/"),
        intruder.post(f"/settings/api-keys/{key.pk}/revoke/"),
    )

    assert "gets 401 Unauthorized from its next request. It has never been used." in page_text(
        confirm
    )
    assert all(response.status_code == 404 for response in foreign)
    with schema_context(alpha.workspace.schema_name):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert client.post(f"/settings/api-keys/{key.pk}/revoke/").status_code == 302
    with schema_context(alpha.workspace.schema_name):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
