from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Public schema: workspaces, their domains and provisioning."""

    name = "tenants"

    def ready(self) -> None:
        from project.metrics import register_scrape_collector
        from tenants import signals  # noqa: F401 - connects host-cache invalidation
        from tenants.metrics import WorkspacesByStatusCollector

        register_scrape_collector("workspaces_by_status", WorkspacesByStatusCollector())
