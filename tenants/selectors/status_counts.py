"""How many workspaces stand where: billing status and access (the metrics' gauge)."""

from __future__ import annotations

from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import Now
from django_tenants.utils import get_public_schema_name

from tenants.models import Workspace

SUSPENDED, READ_ONLY, ACTIVE = "suspended", "read_only", "active"


def count_workspaces_by_status() -> dict[tuple[str, str], int]:
    """{(billing_status, access): count} over every customer workspace (not the public one),
    in one query; access is suspended, read_only (its read_only_from has passed) or active."""
    access = Case(
        When(status=Workspace.Status.SUSPENDED, then=Value(SUSPENDED)),
        When(Q(read_only_from__lte=Now()), then=Value(READ_ONLY)),
        default=Value(ACTIVE),
        output_field=CharField(),
    )
    rows = (
        Workspace.objects.exclude(schema_name=get_public_schema_name())
        .annotate(access=access)
        .values("billing_status", "access")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(row["billing_status"], row["access"]): row["count"] for row in rows}
