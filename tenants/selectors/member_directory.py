"""Reads of the public member directory (tenants.MemberAddress)."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import MemberAddress, Workspace


def workspaces_with_active_account(*, email: str) -> list[Workspace]:
    """Every active workspace where this address has an active account, by name.

    One query, one probe of the email-hash index joined to the workspace rows: its cost
    does not grow with the number of workspaces (bench/find_workspace.py).
    """
    with schema_context(get_public_schema_name()):
        return list(
            Workspace.objects.filter(
                member_addresses__email_hash=MemberAddress.hash_of(email),
                status=Workspace.Status.ACTIVE,
            ).order_by("name", "pk")
        )
