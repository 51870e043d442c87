"""Workspace routes: sign-up on the apex API, the workspace's own facts on its API."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from accounts.authentication import acting_user
from accounts.services.audit import client_ip
from project.ratelimit import enforce_rate_limit
from tenants.models import Workspace
from tenants.services.signup import sign_up
from tenants.services.workspaces import delete_workspace

signup_router = Router(tags=["workspaces"])
workspace_router = Router(tags=["workspace"])


class WorkspaceCreateIn(Schema):
    name: str
    slug: str
    owner_email: str
    owner_password: str

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Acme Coaching",
                    "slug": "acme",
                    "owner_email": "ada@acme.example",
                    "owner_password": "a long passphrase",
                }
            ]
        },
    )


class WorkspaceCreatedOut(Schema):
    id: int
    slug: str
    url: str


class WorkspaceOut(Schema):
    name: str
    slug: str
    status: str


@signup_router.post("", response={201: WorkspaceCreatedOut})
def post_workspace(request: HttpRequest, payload: WorkspaceCreateIn) -> Status:
    """Create a workspace with its owner account (self-serve sign-up; rate limited per IP)."""
    enforce_rate_limit(request, group="signup", key="ip", rate=settings.CRM_SIGNUP_RATE)
    workspace = sign_up(
        name=payload.name,
        slug=payload.slug,
        owner_email=payload.owner_email,
        owner_password=payload.owner_password,
        ip=client_ip(request),
    ).workspace
    return Status(201, {"id": workspace.pk, "slug": workspace.slug, "url": workspace.url})


class WorkspaceDeleteIn(Schema):
    confirm_slug: str
    model_config = ConfigDict(extra="forbid")


@workspace_router.get("", response=WorkspaceOut, auth=None)
def get_workspace(request: HttpRequest) -> Workspace:
    """The workspace this domain serves (public: its name is on the sign-in page too)."""
    workspace: Workspace = request.tenant  # type: ignore[attr-defined]
    return workspace


@workspace_router.delete("", response={204: None})
def delete_this_workspace(request: HttpRequest, payload: WorkspaceDeleteIn) -> Status:
    """Delete the workspace and all its data for good (owner only; type the slug back)."""
    delete_workspace(
        actor=acting_user(request),
        workspace=request.tenant,  # type: ignore[attr-defined]
        confirm_slug=payload.confirm_slug,
    )
    return Status(204, None)
