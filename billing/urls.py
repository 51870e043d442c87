"""Billing's URLs: the Stripe webhook on the apex domain; pages on the workspace's domain."""

from django.urls import path

from billing import pages, webhooks
from billing.payments import api_links, api_payments, pages_selling
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
    path("settings/payments/", pages_selling.payments_settings, name="payments_settings"),
    path("settings/payments/connect/", pages_selling.payments_connect, name="payments_connect"),
    path("settings/payments/return/", pages_selling.payments_return, name="payments_return"),
    path("settings/payments/refresh/", pages_selling.payments_refresh, name="payments_refresh"),
    path("leads/<int:lead_id>/payments/", pages_selling.lead_payments, name="lead_payments"),
    path(
        "leads/<int:lead_id>/take-payment/",
        pages_selling.lead_take_payment,
        name="lead_take_payment",
    ),
    path("pay/thanks/", pages_selling.payment_thanks, name="payment_thanks"),
]

# (prefix, ninja Router) pairs mounted on the workspace API.
api_routers: list = [
    ("/payments", api_payments.router),
    ("/payment-links", api_links.router),
]
