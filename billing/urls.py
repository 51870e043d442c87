"""Billing's URLs: the Stripe webhook on the apex domain; pages on the workspace's domain."""

from django.urls import path

from billing import webhooks
from billing.payments import api as payments_api
from billing.payments import pages as payment_pages

public_urlpatterns = [
    path("webhooks/stripe", webhooks.stripe_webhook, name="stripe_webhook"),
]

# Settings -> Billing and Settings -> Payments, payments pages (workspace domain).
workspace_urlpatterns: list = [
    path("settings/payments/", payment_pages.payments_settings, name="payments_settings"),
    path("settings/payments/connect/", payment_pages.payments_connect, name="payments_connect"),
    path("settings/payments/return/", payment_pages.payments_return, name="payments_return"),
    path("settings/payments/refresh/", payment_pages.payments_refresh, name="payments_refresh"),
    path("leads/<int:lead_id>/payments/", payment_pages.lead_payments, name="lead_payments"),
    path(
        "leads/<int:lead_id>/take-payment/",
        payment_pages.lead_take_payment,
        name="lead_take_payment",
    ),
    path("pay/thanks/", payment_pages.payment_thanks, name="payment_thanks"),
]

# (prefix, ninja Router) pairs mounted on the workspace API.
api_routers: list = [
    ("/payment-links", payments_api.router),
]
