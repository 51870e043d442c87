"""Which function applies which Stripe event. Handler modules register themselves with
`on_platform_event` (the platform's own account: subscriptions, invoices) or
`on_connect_event` (a workspace's own account: its sales); the front door dispatches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

StripeObject = dict[str, Any]
# A handler gets the event as Stripe sent it and returns a short outcome word for the log
# and the event record ("applied", "ignored", ...). A Connect handler runs inside the
# workspace's schema, entered once by the front door.
Handler = Callable[[StripeObject], str]

PLATFORM_HANDLERS: dict[str, Handler] = {}
CONNECT_HANDLERS: dict[str, Handler] = {}


def on_platform_event(*event_types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            PLATFORM_HANDLERS[event_type] = handler
        return handler

    return register


def on_connect_event(*event_types: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for event_type in event_types:
            CONNECT_HANDLERS[event_type] = handler
        return handler

    return register
