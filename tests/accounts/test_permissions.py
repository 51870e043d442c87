"""Every role against every protected action: the permission matrix holds at the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import ApiKey, User
from accounts.permissions import ADMIN_ACTIONS, MEMBER_ACTIONS, Action, can
from tenants.models import Workspace
from tests.support.clients import add_member, bearer_client, sign_in_client


@dataclass
class Scene:
    workspace: Workspace
    target: User  # a plain member the action is aimed at
    key_id: int


Request = Callable[[Client, Scene], Any]

ACTIONS: dict[str, tuple[Request, set[str]]] = {
    "invite": (
        lambda c, s: c.post(
            "/api/v1/team/invitations", {"email": "n@x.example"}, content_type="application/json"
        ),
        {"admin", "owner"},
    ),
    "change_role": (
        lambda c, s: c.patch(
            f"/api/v1/team/{s.target.pk}", {"role": "admin"}, content_type="application/json"
        ),
        {"admin", "owner"},
    ),
    "deactivate": (
        lambda c, s: c.post(f"/api/v1/team/{s.target.pk}/deactivate"),
        {"admin", "owner"},
    ),
    "reactivate": (
        lambda c, s: c.post(f"/api/v1/team/{s.target.pk}/reactivate"),
        {"admin", "owner"},
    ),
    "list_api_keys": (lambda c, s: c.get("/api/v1/api-keys"), {"admin", "owner"}),
    "create_api_key": (
        lambda c, s: c.post("/api/v1/api-keys", {"name": "k"}, content_type="application/json"),
        {"admin", "owner"},
    ),
    "revoke_api_key": (lambda c, s: c.delete(f"/api/v1/api-keys/{s.key_id}"), {"admin", "owner"}),
    "transfer_ownership": (
        lambda c, s: c.post(
            "/api/v1/team/transfer-ownership",
            {"new_owner_id": s.target.pk},
            content_type="application/json",
        ),
        {"owner"},
    ),
    "delete_workspace": (
        lambda c, s: c.delete(
            "/api/v1/workspace", {"confirm_slug": s.workspace.slug}, content_type="application/json"
        ),
        {"owner"},
    ),
}


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_role_against_protected_action(make_workspace, role: str, action: str) -> None:
    fixture = make_workspace()
    target = add_member(fixture.workspace, "member", email="target@x.example")
    actor = add_member(fixture.workspace, role) if role != "owner" else _owner(fixture.workspace)
    with schema_context(fixture.workspace.schema_name):
        key = ApiKey.objects.create(
            name="existing",
            prefix="crm_existing",
            key_hash="0" * 64,
            created_by=_owner(fixture.workspace),
        )
    authed = bearer_client(fixture.workspace, actor.email)
    request, allowed = ACTIONS[action]

    response = request(authed, Scene(fixture.workspace, target, key.pk))

    if role in allowed:
        assert response.status_code in (200, 201, 204), response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "forbidden"
        with schema_context(fixture.workspace.schema_name):
            assert User.objects.get(pk=target.pk).role == "member"
            assert User.objects.get(pk=target.pk).is_active
            assert ApiKey.objects.get(pk=key.pk).revoked_at is None
        assert Workspace.objects.filter(pk=fixture.workspace.pk).exists()


def _owner(workspace: Workspace) -> User:
    with schema_context(workspace.schema_name):
        return User.objects.get(role="owner")


@pytest.mark.parametrize("action", list(Action))
def test_matrix_in_full(action: Action) -> None:
    member, admin, owner = (
        User(role=role, is_active=True) for role in ("member", "admin", "owner")
    )

    assert can(member, action) == (action in MEMBER_ACTIONS)
    assert can(admin, action) == (action in ADMIN_ACTIONS)
    assert can(owner, action)
    assert not can(User(role="owner", is_active=False), action)


def test_deleting_the_workspace_needs_the_slug_typed_back(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    wrong = client.delete(
        "/api/v1/workspace", {"confirm_slug": "nope"}, content_type="application/json"
    )
    right = client.delete(
        "/api/v1/workspace",
        {"confirm_slug": fixture.workspace.slug},
        content_type="application/json",
    )

    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "confirm_slug"
    assert right.status_code == 204
    assert not Workspace.objects.filter(slug=fixture.workspace.slug).exists()
    assert Client(HTTP_HOST=fixture.host).get("/api/v1/workspace").status_code == 404


def test_the_development_outbox_is_for_admins_and_the_owner(two_workspaces) -> None:
    alpha, beta = two_workspaces
    member = add_member(alpha.workspace, "member")
    admin = add_member(alpha.workspace, "admin")
    for fixture in two_workspaces:  # the owner's reset link lands in each outbox
        fixture.client().post("/password-reset/", {"email": fixture.owner_email})
    as_member = sign_in_client(alpha.workspace, member.email)

    refused = as_member.get("/dev/outbox/")
    member_home = as_member.get("/")
    admin_page = sign_in_client(alpha.workspace, admin.email).get("/dev/outbox/")
    owner_client = alpha.signed_in_client()
    owner_page = owner_client.get("/dev/outbox/")

    assert refused.status_code == 403
    assert "password-reset/confirm" not in refused.text
    assert 'href="/dev/outbox/"' not in member_home.text
    assert 'href="/dev/outbox/"' in owner_client.get("/").text
    for page in (admin_page, owner_page):
        assert page.status_code == 200
        assert "Reset your password" in page.text
        assert alpha.owner_email in page.text
        assert beta.owner_email not in page.text
