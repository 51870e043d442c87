"""Plan limits and the read-only state, set on the Workspace row as billing would set them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead
from tenants.models import Workspace
from tenants.schemas import use_public_schema


def set_limits(workspace: Workspace, **limits: Any) -> None:
    """Give the workspace these limits (seat_limit, lead_limit, monthly_email_limit); saved
    like billing saves them, so the host cache forgets the old row."""
    use_public_schema()
    row = Workspace.objects.get(pk=workspace.pk)
    for name, value in limits.items():
        setattr(row, name, value)
    row.save()


def make_read_only(workspace: Workspace) -> None:
    set_limits(workspace, read_only_from=timezone.now() - timedelta(minutes=1))


def lead_total(workspace: Workspace) -> int:
    with schema_context(workspace.schema_name):
        return Lead.objects.count()


def refusal(response: Any) -> dict[str, Any]:
    """The error of a 402 answer, checked to be in the fixed shape."""
    assert response.status_code == 402, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    return dict(error)
