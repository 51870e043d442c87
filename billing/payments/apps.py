from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    """Billing's tenant half: what a workspace sells to its own leads through its own Stripe
    account (Connect) and every payment it took. Tables in each workspace's schema."""

    name = "billing.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # outreach shows a campaign's revenue without importing billing: it asks the
        # reader installed here.
        from billing.payments.selectors.revenue import campaign_revenue
        from outreach.revenue import install_revenue_reader

        install_revenue_reader(campaign_revenue)
