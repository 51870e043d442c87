"""Ways for a lead to pay for a product, made in the workspace's own Stripe account: a
Checkout session for one lead, or a reusable payment link for a product."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from billing.payments.amounts import format_amount
from billing.payments.events import PaymentLinkEvent
from billing.payments.models import PaymentLink, StripePrice
from billing.payments.services.prices import stripe_price_for
from billing.selectors.connect import ready_connect_account
from billing.stripe_api import idempotent, stripe_client
from billing.stripe_calls import stripe_call
from crm.models import Lead, Product
from crm.selectors.leads import get_lead
from crm.selectors.records import get_record
from crm.services.events import record_event
from project.errors import InvalidInput, field_error
from tenants.errors import WorkspaceReadOnly
from tenants.schemas import current_workspace

THANKS_PATH = "/pay/thanks/"


def thanks_url() -> str:
    """Where Stripe sends a lead after paying: the workspace's own thank-you page."""
    return f"{current_workspace().url}{THANKS_PATH}"


def create_payment_link(
    *,
    actor: User | None,
    product_id: int,
    kind: str,
    lead_id: int | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
) -> PaymentLink:
    """Make a Checkout session (kind "checkout_session", for one lead) or a reusable payment
    link (kind "payment_link") for a product, in the workspace's Stripe account, and keep it.
    Raises NotFound (lead, product), InvalidInput, WorkspaceReadOnly (402), PaymentsNotReady
    (409), ProductNotSellable (409) or StripeUnavailable (503); on any failure nothing is
    stored."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    if current_workspace().is_read_only:
        raise WorkspaceReadOnly()
    if kind not in PaymentLink.Kind.values:
        raise InvalidInput(
            details=[
                field_error(
                    "kind", "invalid_choice", f"Use one of: {', '.join(PaymentLink.Kind.values)}."
                )
            ]
        )
    product = get_record(Product, product_id)
    lead = get_lead(lead_id) if lead_id is not None else None
    if kind == PaymentLink.Kind.CHECKOUT_SESSION and lead is None:
        raise InvalidInput(
            details=[
                field_error(
                    "lead_id",
                    "required",
                    "A Checkout session is for one lead: give lead_id, or make a payment_link.",
                )
            ]
        )
    account = ready_connect_account()
    price = stripe_price_for(product=product, account=account)
    metadata = {"product_id": str(product.pk), **({"lead_id": str(lead.pk)} if lead else {})}
    done_url = success_url or thanks_url()
    if kind == PaymentLink.Kind.CHECKOUT_SESSION:
        assert lead is not None
        made = _checkout_session(
            lead=lead,
            price=price,
            metadata=metadata,
            success_url=done_url,
            cancel_url=cancel_url or done_url,
        )
    else:
        reusable = PaymentLink.objects.filter(
            kind=PaymentLink.Kind.PAYMENT_LINK, stripe_price_id=price.stripe_price_id, lead=lead
        ).first()
        if reusable is not None:
            return reusable
        made = _payment_link(lead=lead, price=price, metadata=metadata, success_url=done_url)
    return _keep_link(actor=actor, product=product, lead=lead, kind=kind, price=price, made=made)


def _checkout_session(
    *,
    lead: Lead,
    price: StripePrice,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "subscription" if price.interval else "payment",
        "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
        "metadata": metadata,
        "client_reference_id": f"lead-{lead.pk}",
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if lead.email:
        params["customer_email"] = lead.email
    if price.interval:
        # Renewal invoices find their lead through the subscription's metadata.
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    with stripe_call("checkout_session_create"):
        session = stripe_client().v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options=idempotent(
                "checkout-session", lead.pk, uuid.uuid4().hex, account=price.stripe_account_id
            ),
        )
    return session.to_dict()


def _payment_link(
    *, lead: Lead | None, price: StripePrice, metadata: dict[str, str], success_url: str
) -> dict[str, Any]:
    """The same product, price and lead give the same link (the idempotency key names them),
    so a retried or repeated request hands out one reusable link."""
    params: dict[str, Any] = {
        "line_items": [{"price": price.stripe_price_id, "quantity": 1}],
        "metadata": metadata,
        "after_completion": {"type": "redirect", "redirect": {"url": success_url}},
    }
    if price.interval:
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    options = idempotent(
        "payment-link",
        price.stripe_price_id,
        lead.pk if lead else "any",
        account=price.stripe_account_id,
    )
    with stripe_call("payment_link_create"):
        link = stripe_client().v1.payment_links.create(
            params=params,  # type: ignore[arg-type]
            options=options,
        )
    return link.to_dict()


@transaction.atomic
def _keep_link(
    *,
    actor: User | None,
    product: Product,
    lead: Lead | None,
    kind: str,
    price: StripePrice,
    made: dict[str, Any],
) -> PaymentLink:
    link, created = PaymentLink.objects.get_or_create(
        stripe_id=str(made["id"]),
        defaults={
            "product": product,
            "lead": lead,
            "kind": kind,
            "stripe_price_id": price.stripe_price_id,
            "url": str(made["url"]),
            "created_by_id": actor.pk if actor else None,
            "expires_at": (
                datetime.fromtimestamp(int(made["expires_at"]), UTC)
                if made.get("expires_at")
                else None
            ),
        },
    )
    if created:
        record_event(
            actor=actor,
            verb=PaymentLinkEvent.CREATED,
            obj=lead or link,
            changes={
                "payment_link_id": link.pk,
                "kind": kind,
                "product": product.name,
                "product_id": product.pk,
                "amount_display": format_amount(price.unit_amount, price.currency),
                "interval": price.interval,
            },
        )
    return link
