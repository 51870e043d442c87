"""The pending-send list lives only in the public schema, and the monthly email usage only in
the workspaces' schemas, although the rest of the mail app (the outbox) is in every schema.
Consulted before django-tenants' own router."""

from __future__ import annotations

from typing import Any

PUBLIC_ONLY = {("mail", "pendingsend")}
# A workspace's own counts; the public schema sends no campaign and keeps none.
TENANT_ONLY = {("mail", "emailusage")}


class PublicOnlyModels:
    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        from django.db import connections
        from django_tenants.utils import get_public_schema_name

        key = (app_label, model_name)
        if key not in PUBLIC_ONLY and key not in TENANT_ONLY:
            return None  # django-tenants decides
        in_public = getattr(connections[db], "schema_name", get_public_schema_name()) == (
            get_public_schema_name()
        )
        if key in TENANT_ONLY:
            return None if not in_public else False
        return None if in_public else False
