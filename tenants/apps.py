from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Public schema: workspaces, their domains and provisioning."""

    name = "tenants"

    def ready(self) -> None:
        from tenants import signals  # noqa: F401 - connects host-cache invalidation
