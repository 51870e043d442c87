"""The plan's seats, at their edge: inviting (a pending invitation holds a seat), accepting
and reactivating, through the API and the team pages."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import OneTimeToken, User
from tests.support.clients import OWNER_PASSWORD, add_member, api, link_in, outbox_of, post
from tests.support.limits import refusal, set_limits
from tests.support.pages import page_text


def invite_by_api(client, email: str):
    return post(client, "/api/v1/team/invitations", {"email": email, "role": "member"})


def pending_invitations(workspace) -> int:
    with schema_context(workspace.schema_name):
        return OneTimeToken.objects.filter(
            purpose=OneTimeToken.Purpose.INVITATION, used_at__isnull=True
        ).count()


def members(workspace) -> int:
    with schema_context(workspace.schema_name):
        return User.objects.filter(is_active=True).count()


def test_an_invitation_for_the_last_seat_is_sent_and_the_next_is_402(make_workspace) -> None:
    fixture = make_workspace()
    add_member(fixture.workspace, "member")
    set_limits(fixture.workspace, seat_limit=3)  # owner + member + one invitation
    client = api(fixture)

    at_limit = invite_by_api(client, "third@new.example")
    over = invite_by_api(client, "fourth@new.example")

    assert at_limit.status_code == 201, at_limit.content
    error = refusal(over)
    assert error["message"] == (
        "Your Growth plan allows 3 seats; this workspace uses 3 (members and pending invitations). "
        "Upgrade in Settings → Billing to add more."
    )
    assert pending_invitations(fixture.workspace) == 1
    assert [email.to for email in outbox_of(fixture.workspace)] == ["third@new.example"]


def test_the_team_page_shows_the_seat_limit_with_a_link_to_billing(make_workspace) -> None:
    fixture = make_workspace()
    set_limits(fixture.workspace, seat_limit=2)
    page = fixture.signed_in_client()

    at_limit = page.post("/team/invite/", {"email": "two@new.example", "role": "member"})
    over = page.post("/team/invite/", {"email": "three@new.example", "role": "member"})

    assert at_limit.status_code == 302
    assert over.status_code == 402
    assert "Your Growth plan allows 2 seats; this workspace uses 2" in page_text(over)
    assert b'href="/settings/billing/"' in over.content
    assert pending_invitations(fixture.workspace) == 1


def test_accepting_fills_the_invitations_own_seat(make_workspace) -> None:
    fixture = make_workspace()
    set_limits(fixture.workspace, seat_limit=2)
    invite_by_api(api(fixture), "sam@new.example")
    link = link_in(outbox_of(fixture.workspace)[-1], "/invite/accept/")

    accepted = fixture.client().post(link, {"full_name": "Sam", "password": OWNER_PASSWORD})

    assert accepted.status_code == 302
    assert members(fixture.workspace) == 2


def test_accepting_after_the_plan_went_down_is_refused_and_the_link_keeps_working(
    make_workspace,
) -> None:
    fixture = make_workspace()
    invite_by_api(api(fixture), "sam@new.example")
    link = link_in(outbox_of(fixture.workspace)[-1], "/invite/accept/")
    set_limits(fixture.workspace, seat_limit=1)  # the owner fills it

    refused = fixture.client().post(link, {"full_name": "Sam", "password": OWNER_PASSWORD})
    set_limits(fixture.workspace, seat_limit=2)
    accepted = fixture.client().post(link, {"full_name": "Sam", "password": OWNER_PASSWORD})

    assert refused.status_code == 402
    assert "has no free seat on its plan right now" in page_text(refused)
    assert accepted.status_code == 302
    assert members(fixture.workspace) == 2


def test_reactivating_a_member_needs_a_free_seat(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = api(fixture)
    post(client, f"/api/v1/team/{member.pk}/deactivate", {})
    invite_by_api(client, "new@new.example")
    set_limits(fixture.workspace, seat_limit=2)  # owner + the pending invitation

    refused = post(client, f"/api/v1/team/{member.pk}/reactivate", {})

    detail = refusal(refused)["details"][0]
    assert (detail["limit"], detail["used"], detail["adding"]) == (2, 2, 1)
    assert members(fixture.workspace) == 1


def test_a_full_workspace_does_not_block_another_workspaces_invitations(two_workspaces) -> None:
    alpha, beta = two_workspaces
    set_limits(alpha.workspace, seat_limit=1)
    set_limits(beta.workspace, seat_limit=2)

    refused = invite_by_api(api(alpha), "x@new.example")
    sent = invite_by_api(api(beta), "x@new.example")

    assert refusal(refused)["code"] == "plan_limit_reached"
    assert sent.status_code == 201
    assert (pending_invitations(alpha.workspace), pending_invitations(beta.workspace)) == (0, 1)
