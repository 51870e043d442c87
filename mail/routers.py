"""The pending-send list lives only in the public schema, although the rest of the mail app
(the outbox) is in every schema. Consulted before django-tenants' own router."""

from __future__ import annotations

from typing import Any

PUBLIC_ONLY = {("mail", "pendingsend")}


class PublicOnlyModels:
    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        from django.db import connections
        from django_tenants.utils import get_public_schema_name

        if (app_label, model_name) not in PUBLIC_ONLY:
            return None  # django-tenants decides
        schema = getattr(connections[db], "schema_name", get_public_schema_name())
        return None if schema == get_public_schema_name() else False
