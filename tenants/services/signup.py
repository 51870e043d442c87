"""Self-serve sign-up: a new workspace, a hand-off link into it and an email check."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_tenants.utils import schema_context

from accounts.events import AuditAction
from accounts.models import OneTimeToken, User
from accounts.services.audit import record_audit_event
from accounts.services.passwords import send_email_verification
from accounts.services.tokens import issue_one_time_token
from tenants.models import Workspace
from tenants.services.provisioning import create_workspace


@dataclass(frozen=True)
class SignUp:
    workspace: Workspace
    handoff_url: str


def sign_up(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    ip: str | None = None,
) -> SignUp:
    """Create the workspace, then (in its schema) a single-use hand-off link that signs the
    owner in at the new subdomain, and the email-verification message.

    Cookies do not cross subdomains, so the browser carries the hand-off secret instead.
    Raises what create_workspace raises; all or nothing.
    """
    with transaction.atomic():
        workspace = create_workspace(
            name=name,
            slug=slug,
            owner_email=owner_email,
            owner_password=owner_password,
            owner_name=owner_name,
        )
        with schema_context(workspace.schema_name):
            owner = User.objects.get(role=User.Role.OWNER)
            raw, _ = issue_one_time_token(purpose=OneTimeToken.Purpose.HANDOFF, user=owner)
            record_audit_event(
                action=AuditAction.WORKSPACE_SIGNED_UP,
                actor=owner,
                ip=ip,
                details={"slug": workspace.slug},
            )
            send_email_verification(
                user=owner, base_url=workspace.url, workspace_name=workspace.name
            )
    return SignUp(workspace, f"{workspace.url}/auth/handoff/?token={raw}")
