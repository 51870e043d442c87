"""What the demo workspace's logins are now: read from its schema, not from the seed."""

from __future__ import annotations

from django_tenants.utils import schema_context

from accounts.models import User
from tenants.models import Workspace

ROLE_ORDER: dict[str, int] = {User.Role.OWNER: 0, User.Role.ADMIN: 1, User.Role.MEMBER: 2}


def current_roles(workspace: Workspace, emails: list[str]) -> dict[str, str]:
    """The role each address holds in the workspace today (lower-cased address -> role),
    so that after an ownership transfer the printed logins still tell the truth."""
    with schema_context(workspace.schema_name):
        members = User.objects.filter(email__in=emails, is_active=True)
        return {member.email.lower(): member.role for member in members}
