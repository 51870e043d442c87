"""Billing's URLs: the Stripe webhook on the apex domain; pages on the workspace's domain."""

from django.urls import path

from billing import pages, webhooks
from billing.payments import api_payments
from billing.payments import pages_payments as payment_pages

public_urlpatterns = [
    path("webhooks/stripe", webhooks.stripe_webhook, name="stripe_webhook"),
]

# Settings -> Billing and Settings -> Payments, payments pages (workspace domain).
workspace_urlpatterns: list = [
    path("settings/billing/", pages.billing_settings, name="billing_settings"),
    path("settings/billing/checkout/", pages.billing_checkout, name="billing_checkout"),
    path("settings/billing/portal/", pages.billing_portal, name="billing_portal"),
    path("payments/", payment_pages.payment_list, name="payment_list"),
    path("payments/export/", payment_pages.payment_export, name="payment_export"),
]

# (prefix, ninja Router) pairs mounted on the workspace API.
api_routers: list = [
    ("/payments", api_payments.router),
]
