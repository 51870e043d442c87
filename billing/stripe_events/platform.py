"""Stripe events from the platform's own account: a workspace's subscription and invoices.
Each handler only says which subscription the event is about; billing.services.
subscriptions fetches it and writes what Stripe says now."""

from __future__ import annotations

from billing.services.subscriptions import (
    link_checkout_session,
    record_failed_payment,
    sync_invoice_subscription,
    sync_subscription,
)
from billing.stripe_events.registry import StripeObject, on_platform_event


def _carried(event: StripeObject) -> StripeObject:
    return dict((event.get("data") or {}).get("object") or {})


@on_platform_event("checkout.session.completed")
def checkout_completed(event: StripeObject) -> str:
    return link_checkout_session(session=_carried(event))


@on_platform_event(
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
def subscription_changed(event: StripeObject) -> str:
    subscription = _carried(event)
    if not subscription.get("id"):
        return "ignored"
    return sync_subscription(
        subscription_id=str(subscription["id"]),
        customer=str(subscription.get("customer") or ""),
        carried=subscription,
    )


@on_platform_event("invoice.paid")
def invoice_paid(event: StripeObject) -> str:
    return sync_invoice_subscription(invoice=_carried(event))


@on_platform_event("invoice.payment_failed")
def invoice_payment_failed(event: StripeObject) -> str:
    invoice = _carried(event)
    if not invoice.get("id"):
        return "ignored"
    return record_failed_payment(invoice=invoice)
