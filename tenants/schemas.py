"""Typed access to django-tenants' schema switching on the default connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import connection

if TYPE_CHECKING:
    from tenants.models import Workspace


def _tenant_connection() -> Any:
    # django_tenants.postgresql_backend.DatabaseWrapper; django-tenants ships no types.
    return cast(Any, connection)


def use_public_schema() -> None:
    _tenant_connection().set_schema_to_public()


def use_workspace_schema(workspace: Workspace) -> None:
    _tenant_connection().set_tenant(workspace)


def current_schema() -> str:
    return str(_tenant_connection().schema_name)


def current_workspace() -> Workspace:
    """The workspace whose schema the connection is in (a request, a task or a test)."""
    from tenants.models import Workspace

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Workspace) and tenant.schema_name == current_schema():
        return tenant
    return Workspace.objects.get(schema_name=current_schema())


class NotInWorkspace(RuntimeError):
    """A workspace job found itself in the public schema: tenant-schemas-celery could not
    switch (it logs and goes on, e.g. when the database did not answer in time). The job
    stops here, touching nothing; the sweep queues it again."""


def require_workspace_schema() -> None:
    """Called first by every job that works on one workspace's data."""
    if current_schema() == "public":
        raise NotInWorkspace("this job must run in a workspace's schema")
