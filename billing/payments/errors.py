"""Every domain error the workspace's selling side (Connect, prices, payment links) raises,
with its stable code."""

from __future__ import annotations

from project.errors import Conflict


class PaymentsNotReady(Conflict):
    """The workspace has not connected a Stripe account, or Stripe cannot take charges on it
    yet (onboarding unfinished)."""

    code = "payments_not_ready"
    default_message = (
        "This workspace cannot take payments yet: an admin connects its Stripe account and "
        "finishes Stripe's onboarding in Settings -> Payments."
    )


class ProductNotSellable(Conflict):
    code = "product_not_sellable"
    default_message = "This product cannot be sold as it is."
