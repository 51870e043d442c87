"""The verbs the payments side writes to the workspace's event log (crm.EventLog)."""

from __future__ import annotations

from enum import StrEnum


class PaymentEvent(StrEnum):
    """On the lead (its timeline) and on the payment itself."""

    RECEIVED = "payment_received"
    REFUNDED = "payment_refunded"
    DISPUTED = "payment_disputed"
    DISPUTE_CLOSED = "payment_dispute_closed"
    RECORDED = "recorded"
    CHANGED = "changed"


class PaymentLinkEvent(StrEnum):
    CREATED = "payment_link_created"


class ConnectEvent(StrEnum):
    CONNECT_STARTED = "stripe_connect_started"
    CONNECT_UPDATED = "stripe_connect_updated"
