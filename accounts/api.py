"""Account routes of /api/v1/: tokens, the caller, the team and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from accounts.models import ApiKey, User
from accounts.selectors.team import api_keys_visible_to, team_members
from accounts.services.api_auth import (
    create_api_key,
    issue_token_pair,
    refresh_token_pair,
    revoke_api_key,
)
from accounts.services.audit import client_ip
from accounts.services.team import (
    change_member_role,
    deactivate_member,
    invite_member,
    reactivate_member,
    transfer_ownership,
)
from project.ratelimit import enforce_rate_limit

auth_router = Router(tags=["auth"])
team_router = Router(tags=["team"])
api_keys_router = Router(tags=["api keys"])
me_router = Router(tags=["auth"])

STRICT = ConfigDict(extra="forbid")


class TokenIn(Schema):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=1000)]
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ada@acme.example", "password": "a long passphrase"}]
        },
    )


class RefreshIn(Schema):
    refresh_token: str
    model_config = STRICT


class TokenOut(Schema):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class MemberOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    last_login: datetime | None
    date_joined: datetime


class InvitationIn(Schema):
    email: Annotated[str, StringConstraints(max_length=254)]
    role: str = User.Role.MEMBER
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "sam@acme.example", "role": "member"}]},
    )


class InvitationOut(Schema):
    email: str
    role: str
    expires_at: datetime


class RoleIn(Schema):
    role: str
    model_config = STRICT


class TransferIn(Schema):
    new_owner_id: int
    model_config = STRICT


class ApiKeyIn(Schema):
    name: str
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Zapier"}]})


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


def _limit_sign_in(request: HttpRequest, email: str) -> None:
    enforce_rate_limit(request, group="sign-in-ip", key="ip", rate=settings.CRM_LOGIN_RATE_IP)
    enforce_rate_limit(
        request,
        group="sign-in-email",
        key=lambda group, req: email.lower(),
        rate=settings.CRM_LOGIN_RATE_EMAIL,
    )


@auth_router.post("/token", response=TokenOut, auth=None)
def post_token(request: HttpRequest, payload: TokenIn) -> dict:
    """Exchange email and password for a 15-minute access token and a 30-day refresh token."""
    _limit_sign_in(request, payload.email)
    pair = issue_token_pair(email=payload.email, password=payload.password, ip=client_ip(request))
    return pair.__dict__


@auth_router.post("/refresh", response=TokenOut, auth=None)
def post_refresh(request: HttpRequest, payload: RefreshIn) -> dict:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    enforce_rate_limit(request, group="token-refresh", key="ip", rate=settings.CRM_LOGIN_RATE_IP)
    return refresh_token_pair(refresh_token=payload.refresh_token).__dict__


@me_router.get("", response=MemberOut)
def get_me(request: HttpRequest) -> User:
    """The account behind the credentials of this request."""
    return acting_user(request)


@team_router.get("", response=list[MemberOut])
def list_team(request: HttpRequest) -> list[User]:
    """Every member of the workspace, owners first."""
    return list(team_members())


@team_router.post("/invitations", response={201: InvitationOut})
def post_invitation(request: HttpRequest, payload: InvitationIn) -> Status:
    """Email an invitation link (admins and the owner)."""
    workspace = request.tenant  # type: ignore[attr-defined]
    invitation = invite_member(
        actor=acting_user(request),
        email=payload.email,
        role=payload.role,
        base_url=workspace.url,
        ip=client_ip(request),
    )
    return Status(201, invitation)


@team_router.patch("/{int:member_id}", response=MemberOut)
def patch_member(request: HttpRequest, member_id: int, payload: RoleIn) -> User:
    """Change a member's role to admin or member."""
    return change_member_role(
        actor=acting_user(request), member_id=member_id, role=payload.role, ip=client_ip(request)
    )


@team_router.post("/{int:member_id}/deactivate", response=MemberOut)
def post_deactivate(request: HttpRequest, member_id: int) -> User:
    """Stop a member from signing in; their tokens stop working at once."""
    return deactivate_member(actor=acting_user(request), member_id=member_id, ip=client_ip(request))


@team_router.post("/{int:member_id}/reactivate", response=MemberOut)
def post_reactivate(request: HttpRequest, member_id: int) -> User:
    return reactivate_member(actor=acting_user(request), member_id=member_id, ip=client_ip(request))


@team_router.post("/transfer-ownership", response=MemberOut)
def post_transfer(request: HttpRequest, payload: TransferIn) -> User:
    """Make another member the owner (owner only); you become an admin."""
    return transfer_ownership(
        actor=acting_user(request), new_owner_id=payload.new_owner_id, ip=client_ip(request)
    )


@api_keys_router.get("", response=list[ApiKeyOut])
def list_api_keys(request: HttpRequest) -> list[ApiKey]:
    return list(api_keys_visible_to(acting_user(request)))


@api_keys_router.post("", response={201: ApiKeyCreatedOut})
def post_api_key(request: HttpRequest, payload: ApiKeyIn) -> Status:
    """Create a key. The `key` field is shown in this answer only; store it now."""
    created = create_api_key(actor=acting_user(request), name=payload.name, ip=client_ip(request))
    body = ApiKeyOut.from_orm(created.api_key).dict() | {"key": created.secret}
    return Status(201, body)


@api_keys_router.delete("/{int:api_key_id}", response=ApiKeyOut)
def delete_api_key(request: HttpRequest, api_key_id: int) -> ApiKey:
    """Revoke a key; requests with it get 401 from now on."""
    return revoke_api_key(actor=acting_user(request), api_key_id=api_key_id, ip=client_ip(request))
