from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Billing's tenant half: what a workspace sells to its own leads through its own Stripe
    account (Connect) and every payment it took. Tables in each workspace's schema."""

    name = "billing.payments"
    label = "payments"
    verbose_name = "Payments"
