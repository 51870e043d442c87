"""Stripe's webhooks, applied exactly once, whatever the order or the number of deliveries.

The front door is `receive_stripe_event`: it verifies the signature with the stripe
library's own check and tolerance (against the platform endpoint's secret, then the Connect
endpoint's), claims the event id and applies the event in one transaction. A Connect event
runs inside the workspace that owns the account; one for an account we do not know is
acknowledged and recorded, never applied to a guess.

Handlers derive state from the object they carry or fetch, never from which event came
first, so a replay days later ends in the same state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
import structlog
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_context

from billing.errors import WebhookPayloadInvalid, WebhookSignatureInvalid
from billing.models import ConnectAccount, StripeEvent
from billing.stripe_events.registry import (
    CONNECT_HANDLERS,
    PLATFORM_HANDLERS,
    StripeObject,
    on_connect_event,
    on_platform_event,
)
from tenants.models import Workspace

log = structlog.get_logger()

__all__ = ["EventReceipt", "on_connect_event", "on_platform_event", "receive_stripe_event"]


@dataclass(frozen=True)
class EventReceipt:
    event_id: str
    type: str
    outcome: str  # "applied" and friends from the handler, "duplicate", "ignored", ...


def verified_event(*, payload: bytes, signature: str) -> StripeObject:
    """The event in `payload` if `signature` is Stripe's for it under one of our endpoint
    secrets and within the tolerance. Raises WebhookSignatureInvalid otherwise."""
    endpoints = (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET)
    secrets = [secret for secret in endpoints if secret]
    text = payload.decode("utf-8", errors="replace")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, secret, settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            continue
        break
    else:
        raise WebhookSignatureInvalid()
    try:
        event = json.loads(text)
    except json.JSONDecodeError:
        raise WebhookPayloadInvalid() from None
    if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
        raise WebhookPayloadInvalid()
    return event


def receive_stripe_event(*, payload: bytes, signature: str) -> EventReceipt:
    """Verify and apply one delivery. Idempotent: a redelivery, or the same event delivered
    by several requests at once, is applied once (the others answer "duplicate")."""
    event = verified_event(payload=payload, signature=signature)
    return apply_event(event)


def apply_event(event: StripeObject) -> EventReceipt:
    event_id, event_type = str(event["id"]), str(event.get("type", ""))
    account = str(event.get("account") or "")
    if StripeEvent.objects.filter(event_id=event_id).exists():
        return EventReceipt(event_id, event_type, "duplicate")
    handlers = CONNECT_HANDLERS if account else PLATFORM_HANDLERS
    handler = handlers.get(event_type)
    with transaction.atomic():
        workspace_id = None
        if account:
            workspace_id = (
                ConnectAccount.objects.filter(stripe_account_id=account)
                .values_list("workspace_id", flat=True)
                .first()
            )
        if not _claim(event, account=account, workspace_id=workspace_id):
            return EventReceipt(event_id, event_type, "duplicate")
        if handler is None:
            outcome = "ignored"
        elif account and workspace_id is None:
            outcome = "unknown_account"
            log.warning("stripe_event_unknown_account", event_id=event_id, account=account)
        elif account:
            schema = Workspace.objects.values_list("schema_name", flat=True).get(pk=workspace_id)
            with schema_context(schema):
                outcome = handler(event)
        else:
            outcome = handler(event)
        StripeEvent.objects.filter(event_id=event_id).update(outcome=outcome[:40])
    log.info(
        "stripe_event_received",
        event_id=event_id,
        type=event_type,
        account=account or None,
        outcome=outcome,
    )
    return EventReceipt(event_id, event_type, outcome)


def _claim(event: StripeObject, *, account: str, workspace_id: int | None) -> bool:
    """Insert the event's row unless it is there; a concurrent delivery of the same event
    waits on the unique index and then finds it taken. True when this delivery owns it."""
    created = event.get("created")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.billing_stripeevent "
            "(event_id, type, account, workspace_id, outcome, stripe_created, received_at) "
            "VALUES (%s, %s, %s, %s, '', %s, now()) ON CONFLICT (event_id) DO NOTHING "
            "RETURNING id",
            [
                str(event["id"]),
                str(event.get("type", ""))[:100],
                account,
                workspace_id,
                datetime.fromtimestamp(int(created), UTC) if created else None,
            ],
        )
        return cursor.fetchone() is not None


# Handler modules register on import.
from billing.stripe_events import platform, sales  # noqa: E402, F401
