from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Plans, subscriptions and Stripe webhooks (public); product checkout (tenant)."""

    name = "billing"
