from django.apps import AppConfig


class OutreachConfig(AppConfig):
    """Tenant schema: campaigns, audiences, templates, suppressions, unsubscribe, provider
    webhooks and the delivery engine. Uses crm; crm never imports it."""

    name = "outreach"
    verbose_name = "Outreach"
