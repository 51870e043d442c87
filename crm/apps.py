from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Tenant schema: leads, products, campaigns, messages, tasks, pipeline, events."""

    name = "crm"
    verbose_name = "CRM"
