from django.apps import AppConfig


class CrmConfig(AppConfig):
    """Tenant schema: leads, products, pipeline, tasks, messages, imports, the event log."""

    name = "crm"
    verbose_name = "CRM"
