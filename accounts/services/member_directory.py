"""The public-schema directory of active accounts (tenants.MemberAddress) that "find my
workspace" reads with one indexed query instead of a walk over every schema.

Every service that creates, activates, deactivates or re-addresses a workspace account
calls one of these inside its own transaction, so the directory commits and rolls
back with the change it follows. Accounts of the public schema (platform staff) are
nobody's members and are never filed.
"""

from __future__ import annotations

from accounts.models import User
from tenants.models import MemberAddress
from tenants.schemas import current_schema, current_workspace

PUBLIC_SCHEMA = "public"


def file_member_address(*, user: User) -> None:
    """Make the directory agree with this account of the current workspace: filed under
    its address while it is active, absent while it is not."""
    if current_schema() == PUBLIC_SCHEMA:
        return
    workspace = current_workspace()
    if user.is_active:
        MemberAddress.objects.update_or_create(
            workspace=workspace,
            user_id=user.pk,
            defaults={"email_hash": MemberAddress.hash_of(user.email)},
        )
    else:
        MemberAddress.objects.filter(workspace=workspace, user_id=user.pk).delete()
