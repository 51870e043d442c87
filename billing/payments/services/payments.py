"""Recording what a lead paid, and what happens to it after (refunds, disputes), from the
Stripe objects the workspace's Connect webhooks carry.

Each function is one transaction, finds its payment by a unique Stripe id under a row lock,
and derives the new state from the object alone (refunds only grow; a closed dispute stays
closed), so redeliveries, replays and any order of arrival end in the same state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower

from billing.payments.amounts import format_amount
from billing.payments.events import PaymentEvent
from billing.payments.models import Payment
from billing.payments.selectors.attribution import attributed_campaign_id
from crm.errors import LeadEmailTaken
from crm.models import Lead, Product
from crm.services.events import record_event
from crm.services.leads import create_lead, update_lead
from project.errors import DomainError

log = structlog.get_logger()

# Stripe's dispute statuses after which nothing changes any more.
DISPUTE_CLOSED = frozenset({"won", "lost", "warning_closed", "prevented"})
# A dispute that went the customer's way keeps the payment marked disputed.
DISPUTE_AGAINST = frozenset({"lost"})


@dataclass(frozen=True)
class ReceivedPayment:
    """A payment as Stripe reported it: amounts in minor units, the Stripe ids that identify
    it (at least one of the first three), and the hints that find its lead and product."""

    amount: int
    currency: str
    paid_at: datetime
    checkout_session_id: str | None = None
    payment_intent_id: str | None = None
    invoice_id: str | None = None
    subscription_id: str = ""
    payment_link_id: str = ""
    charge_id: str = ""
    email: str = ""
    name: str = ""
    lead_id: int | None = None
    product_id: int | None = None

    def keys(self) -> Q:
        found = Q(pk__in=[])
        if self.checkout_session_id:
            found |= Q(stripe_checkout_session_id=self.checkout_session_id)
        if self.payment_intent_id:
            found |= Q(stripe_payment_intent_id=self.payment_intent_id)
        if self.invoice_id:
            found |= Q(stripe_invoice_id=self.invoice_id)
        return found


@transaction.atomic
def record_payment(*, received: ReceivedPayment) -> tuple[Payment, bool]:
    """The one Payment for these Stripe ids, and whether this call made it. On first record:
    the lead is found (metadata id, else email in any case) or created (source "stripe"),
    becomes a customer, the payment is credited to the campaign the lead last clicked within
    the attribution window, and the lead's timeline and the payment's log say so."""
    if not (received.checkout_session_id or received.payment_intent_id or received.invoice_id):
        raise ValueError("a payment needs a checkout session, payment intent or invoice id")
    existing = Payment.objects.select_for_update().filter(received.keys()).first()
    if existing is not None:
        return _add_ids(existing, received), False
    lead = _known_lead(received)
    product = (
        Product.objects.filter(pk=received.product_id).first() if received.product_id else None
    )
    campaign_id = (
        attributed_campaign_id(lead_id=lead.pk, paid_at=received.paid_at) if lead else None
    )
    is_new_lead = lead is None
    if lead is None:
        # As late as it can be: a new lead (or a status change) updates crm's lead tallies,
        # whose rows stay locked until commit and so serialize concurrent payments.
        lead = _new_lead(received)
    payment = Payment(
        lead=lead,
        product=product,
        campaign_id=campaign_id,
        amount=received.amount,
        currency=received.currency.upper(),
        status=Payment.Status.PAID,
        customer_email=received.email[:254],
        stripe_checkout_session_id=received.checkout_session_id or None,
        stripe_payment_intent_id=received.payment_intent_id or None,
        stripe_invoice_id=received.invoice_id or None,
        stripe_charge_id=received.charge_id,
        stripe_payment_link_id=received.payment_link_id,
        stripe_subscription_id=received.subscription_id,
        paid_at=received.paid_at,
    )
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # Another event about the same payment (invoice.paid beside checkout.session.completed)
        # committed it first: ours waited on the unique index, then found it.
        existing = Payment.objects.select_for_update().filter(received.keys()).first()
        if existing is None:
            raise
        return _add_ids(existing, received), False
    shown = format_amount(payment.amount, payment.currency)
    if lead is not None:
        record_event(
            actor=None,
            verb=PaymentEvent.RECEIVED,
            obj=lead,
            changes={
                "payment_id": payment.pk,
                "amount": payment.amount,
                "currency": payment.currency,
                "amount_display": shown,
                "product_id": product.pk if product else None,
                "product": product.name if product else "",
                "campaign_id": payment.campaign_id,
                "renewal": bool(received.invoice_id and not received.checkout_session_id),
            },
        )
    record_event(
        actor=None,
        verb=PaymentEvent.RECORDED,
        obj=payment,
        changes={
            "lead_id": payment.lead_id,
            "amount_display": shown,
            "stripe_ids": _stripe_ids(payment),
        },
    )
    if lead is not None and not is_new_lead:
        _make_customer(lead)  # last, for the same reason as the new lead above
    log.info(
        "payment_recorded",
        payment_id=payment.pk,
        lead_id=payment.lead_id,
        amount=payment.amount,
        currency=payment.currency,
        campaign_id=payment.campaign_id,
    )
    return payment, True


def _stripe_ids(payment: Payment) -> dict[str, str]:
    names = ("checkout_session", "payment_intent", "invoice", "charge", "subscription")
    ids = {name: getattr(payment, f"stripe_{name}_id") or "" for name in names}
    return {name: value for name, value in ids.items() if value}


def _add_ids(payment: Payment, received: ReceivedPayment) -> Payment:
    """A second event about a recorded payment fills in the Stripe ids it lacked."""
    fields = {
        "stripe_checkout_session_id": received.checkout_session_id,
        "stripe_payment_intent_id": received.payment_intent_id,
        "stripe_invoice_id": received.invoice_id,
        "stripe_charge_id": received.charge_id,
        "stripe_subscription_id": received.subscription_id,
        "stripe_payment_link_id": received.payment_link_id,
    }
    changed = [name for name, value in fields.items() if value and not getattr(payment, name)]
    for name in changed:
        setattr(payment, name, fields[name])
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])
    return payment


def _known_lead(received: ReceivedPayment) -> Lead | None:
    """The lead named by the metadata, else the lead with the payer's email (any case)."""
    if received.lead_id is not None:
        lead = Lead.objects.filter(pk=received.lead_id).first()
        if lead is not None:
            return lead
    email = received.email.strip()
    if not email:
        return None
    return Lead.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower()).first()


def _new_lead(received: ReceivedPayment) -> Lead | None:
    """A lead made from the payer (source "stripe", already a customer); the existing one
    when a concurrent payment made it first; None without an email or when crm refuses."""
    email = received.email.strip()
    if not email:
        return None
    first_name, _, last_name = received.name.strip().partition(" ")
    try:
        return create_lead(
            actor=None,
            email=email,
            first_name=first_name[:100],
            last_name=last_name.strip()[:100],
            source=Lead.Source.STRIPE,
            source_detail="Paid through Stripe",
            status=Lead.Status.CUSTOMER,  # made by paying: a customer from the start
        )
    except LeadEmailTaken as taken:  # a concurrent payment made the lead first
        return Lead.objects.get(pk=taken.existing_id)
    except DomainError as refused:
        # The money is in: the payment is kept even when the lead cannot be made.
        log.warning("payment_lead_not_created", code=refused.code, message=refused.message)
        return None


def _make_customer(lead: Lead) -> None:
    if lead.status == Lead.Status.CUSTOMER:
        return
    try:
        update_lead(actor=None, lead_id=lead.pk, changes={"status": Lead.Status.CUSTOMER})
    except DomainError as refused:
        log.warning("payment_lead_status_kept", lead_id=lead.pk, code=refused.code)


def standing(payment: Payment) -> str:
    """The payment's status from its refunds and dispute: the one rule every change uses."""
    if payment.dispute_status and (
        payment.dispute_status not in DISPUTE_CLOSED or payment.dispute_status in DISPUTE_AGAINST
    ):
        return Payment.Status.DISPUTED
    if payment.amount and payment.refunded_amount >= payment.amount:
        return Payment.Status.REFUNDED
    if payment.refunded_amount:
        return Payment.Status.PARTIALLY_REFUNDED
    return Payment.Status.PAID


def _payment_of(stripe_object: dict[str, Any], *, charge_id: str) -> Payment | None:
    intent = stripe_id_of(stripe_object.get("payment_intent"))
    invoice = stripe_id_of(stripe_object.get("invoice"))
    found = Q(stripe_charge_id=charge_id) if charge_id else Q(pk__in=[])
    if intent:
        found |= Q(stripe_payment_intent_id=intent)
    if invoice:
        found |= Q(stripe_invoice_id=invoice)
    return Payment.objects.select_for_update().filter(found).first()


def stripe_id_of(value: Any) -> str:
    """A Stripe reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


@transaction.atomic
def record_refund(*, charge: dict[str, Any]) -> Payment | None:
    """Apply a refunded charge to its payment: the refunded amount is the charge's own
    (refunds only ever grow, so an older snapshot arriving late changes nothing). None when
    no payment here is for this charge."""
    payment = _payment_of(charge, charge_id=str(charge.get("id") or ""))
    if payment is None:
        return None
    refunded = min(int(charge.get("amount_refunded") or 0), payment.amount)
    before = {"refunded_amount": payment.refunded_amount, "status": payment.status}
    payment.stripe_charge_id = payment.stripe_charge_id or str(charge.get("id") or "")
    payment.refunded_amount = max(payment.refunded_amount, refunded)
    payment.status = standing(payment)
    payment.save(update_fields=["stripe_charge_id", "refunded_amount", "status", "updated_at"])
    if payment.refunded_amount != before["refunded_amount"]:
        _record_change(
            payment,
            verb=PaymentEvent.REFUNDED,
            before=before,
            extra={
                "refunded_display": format_amount(payment.refunded_amount, payment.currency),
                "full": payment.status == Payment.Status.REFUNDED,
            },
        )
    return payment


@transaction.atomic
def record_dispute(*, dispute: dict[str, Any]) -> Payment | None:
    """Apply a dispute's status to its payment (a closed dispute is never reopened by an
    older event arriving late). None when no payment here is for the disputed charge."""
    payment = _payment_of(dispute, charge_id=stripe_id_of(dispute.get("charge")))
    if payment is None:
        return None
    incoming = str(dispute.get("status") or "")
    if payment.dispute_status in DISPUTE_CLOSED and incoming not in DISPUTE_CLOSED:
        return payment
    before = {"dispute_status": payment.dispute_status, "status": payment.status}
    payment.dispute_status = incoming[:40]
    payment.stripe_charge_id = payment.stripe_charge_id or stripe_id_of(dispute.get("charge"))
    payment.status = standing(payment)
    payment.save(update_fields=["dispute_status", "stripe_charge_id", "status", "updated_at"])
    if payment.dispute_status != before["dispute_status"]:
        closed = incoming in DISPUTE_CLOSED
        _record_change(
            payment,
            verb=PaymentEvent.DISPUTE_CLOSED if closed else PaymentEvent.DISPUTED,
            before=before,
            extra={"dispute_status": incoming, "reason": str(dispute.get("reason") or "")},
        )
    return payment


def _record_change(
    payment: Payment, *, verb: str, before: dict[str, Any], extra: dict[str, Any]
) -> None:
    changes = {
        field: {"before": value, "after": getattr(payment, field)}
        for field, value in before.items()
        if getattr(payment, field) != value
    }
    summary = {
        "payment_id": payment.pk,
        "amount_display": format_amount(payment.amount, payment.currency),
        "product": payment.product.name if payment.product else "",
        **extra,
    }
    if payment.lead_id is not None:
        record_event(actor=None, verb=verb, obj=payment.lead, changes=summary)
    record_event(actor=None, verb=PaymentEvent.CHANGED, obj=payment, changes=changes)
    log.info("payment_changed", payment_id=payment.pk, verb=verb, status=payment.status)
