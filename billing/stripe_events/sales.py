"""Stripe events from the workspaces' own (Connect) accounts: their sales to their leads.

Each handler runs inside the workspace that owns the account (the front door entered its
schema) and hands the object the event carries to one service; the outcome word goes to the
event's record and the log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing.payments.models import Payment
from billing.payments.services.payments import (
    ReceivedPayment,
    record_dispute,
    record_payment,
    record_refund,
    stripe_id_of,
)
from billing.services.connect import sync_stripe_account
from billing.stripe_api import connected, stripe_client
from billing.stripe_calls import stripe_call
from billing.stripe_events.registry import StripeObject, on_connect_event


def _object(event: StripeObject) -> dict[str, Any]:
    return dict(event.get("data", {}).get("object") or {})


def _at(timestamp: Any) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC)


def _int(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _lead_reference(session: dict[str, Any]) -> int | None:
    reference = str(session.get("client_reference_id") or "")
    return _int(reference.removeprefix("lead-")) if reference.startswith("lead-") else None


@on_connect_event("checkout.session.completed", "checkout.session.async_payment_succeeded")
def checkout_completed(event: StripeObject) -> str:
    """A lead paid through Checkout or a payment link (mode payment or subscription)."""
    session = _object(event)
    if session.get("payment_status") != "paid":
        return "not_paid_yet"  # async methods: async_payment_succeeded follows
    metadata = session.get("metadata") or {}
    details = session.get("customer_details") or {}
    subscription = session.get("mode") == "subscription"
    _, created = record_payment(
        received=ReceivedPayment(
            amount=int(session.get("amount_total") or 0),
            currency=str(session.get("currency") or "usd"),
            paid_at=_at(event.get("created") or session.get("created")),
            checkout_session_id=str(session["id"]),
            payment_intent_id=stripe_id_of(session.get("payment_intent")) or None,
            invoice_id=(stripe_id_of(session.get("invoice")) or None) if subscription else None,
            subscription_id=stripe_id_of(session.get("subscription")),
            payment_link_id=stripe_id_of(session.get("payment_link")),
            email=str(details.get("email") or session.get("customer_email") or ""),
            name=str(details.get("name") or ""),
            lead_id=_int(metadata.get("lead_id")) or _lead_reference(session),
            product_id=_int(metadata.get("product_id")),
        )
    )
    return "recorded" if created else "already_recorded"


def _subscription_metadata(invoice: dict[str, Any], account: str) -> dict[str, Any]:
    """The metadata we put on the subscription at Checkout: carried by the invoice in recent
    API versions, else fetched from Stripe (in the workspace's account)."""
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    carried = parent.get("metadata") or (invoice.get("subscription_details") or {}).get("metadata")
    if carried:
        return dict(carried)
    subscription_id = _subscription_of(invoice)
    with stripe_call("subscription_retrieve"):
        subscription = stripe_client().v1.subscriptions.retrieve(
            subscription_id, options=connected(account)
        )
    return dict(subscription.to_dict().get("metadata") or {})


def _subscription_of(invoice: dict[str, Any]) -> str:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return stripe_id_of(invoice.get("subscription")) or stripe_id_of(parent.get("subscription"))


@on_connect_event("invoice.paid")
def invoice_paid(event: StripeObject) -> str:
    """A lead's subscription was paid: its first invoice (the same payment its Checkout
    records) or a renewal. Invoices of subscriptions the CRM did not sell are left alone."""
    invoice = _object(event)
    subscription_id = _subscription_of(invoice)
    if not subscription_id:
        return "not_a_subscription"
    amount = int(invoice.get("amount_paid") or 0)
    if amount <= 0:
        return "nothing_paid"
    first = (
        Payment.objects.filter(stripe_subscription_id=subscription_id)
        .order_by("paid_at", "id")
        .first()
    )
    if first is not None:
        lead_id, product_id = first.lead_id, first.product_id
    else:
        metadata = _subscription_metadata(invoice, str(event.get("account") or ""))
        lead_id, product_id = _int(metadata.get("lead_id")), _int(metadata.get("product_id"))
        if product_id is None:
            return "not_ours"
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or event.get("created")
    _, created = record_payment(
        received=ReceivedPayment(
            amount=amount,
            currency=str(invoice.get("currency") or "usd"),
            paid_at=_at(paid_at),
            invoice_id=str(invoice["id"]),
            payment_intent_id=stripe_id_of(invoice.get("payment_intent")) or None,
            charge_id=stripe_id_of(invoice.get("charge")),
            subscription_id=subscription_id,
            email=str(invoice.get("customer_email") or ""),
            name=str(invoice.get("customer_name") or ""),
            lead_id=lead_id,
            product_id=product_id,
        )
    )
    return "recorded" if created else "already_recorded"


def _record_from_intent(event: StripeObject, stripe_object: dict[str, Any]) -> bool:
    """A refund or dispute that arrived before its payment was recorded: the payment intent,
    fetched from the workspace's account, says whether it is one of our sales (our metadata)
    and what was paid; if so the payment is recorded from it now, and its Checkout event,
    when it comes, finds it by the intent. False when it is not ours to record."""
    intent_id = stripe_id_of(stripe_object.get("payment_intent"))
    if not intent_id:
        return False
    with stripe_call("payment_intent_retrieve"):
        intent = (
            stripe_client()
            .v1.payment_intents.retrieve(
                intent_id, options=connected(str(event.get("account") or ""))
            )
            .to_dict()
        )
    metadata = intent.get("metadata") or {}
    product_id = _int(metadata.get("product_id"))
    if product_id is None or intent.get("status") != "succeeded":
        return False
    charge_id = str(stripe_object["id"]) if stripe_object.get("object") == "charge" else ""
    record_payment(
        received=ReceivedPayment(
            amount=int(intent.get("amount_received") or intent.get("amount") or 0),
            currency=str(intent.get("currency") or "usd"),
            paid_at=_at(intent.get("created") or event.get("created")),
            payment_intent_id=intent_id,
            charge_id=charge_id,
            email=str((stripe_object.get("billing_details") or {}).get("email") or ""),
            lead_id=_int(metadata.get("lead_id")),
            product_id=product_id,
        )
    )
    return True


@on_connect_event("charge.refunded")
def charge_refunded(event: StripeObject) -> str:
    charge = _object(event)
    payment = record_refund(charge=charge)
    if payment is None and _record_from_intent(event, charge):
        payment = record_refund(charge=charge)
    return "unmatched" if payment is None else "applied"


@on_connect_event("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
def charge_disputed(event: StripeObject) -> str:
    dispute = _object(event)
    payment = record_dispute(dispute=dispute)
    if payment is None and _record_from_intent(event, dispute):
        payment = record_dispute(dispute=dispute)
    return "unmatched" if payment is None else "applied"


@on_connect_event("account.updated")
def account_updated(event: StripeObject) -> str:
    account = sync_stripe_account(stripe_account=_object(event))
    return "unmatched" if account is None else "applied"
