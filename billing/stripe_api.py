"""The one way our code reaches Stripe: the official client, pointed at STRIPE_API_BASE
(a loopback double in tests), with our timeout and retries.

Calls for a workspace's own account pass `connected(account_id)` as their options, so
every one of them carries `Stripe-Account`. Writes pass an idempotency key derived from
what they are for (`idempotent("customer", workspace.pk)`), so a retry never makes two.
"""

from __future__ import annotations

from functools import lru_cache

import stripe
from django.conf import settings
from stripe import RequestOptions

from billing.errors import StripeNotConfigured, StripeUnavailable


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base, "connect": api_base, "files": api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def stripe_client() -> stripe.StripeClient:
    """The platform's client. Raises StripeNotConfigured when there is no secret key."""
    if not settings.STRIPE_SECRET_KEY:
        raise StripeNotConfigured()
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE.rstrip("/"),
        settings.STRIPE_TIMEOUT_SECONDS,
        settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def idempotent(purpose: str, *parts: object, account: str | None = None) -> RequestOptions:
    """Request options whose idempotency key names what the call is for: the same purpose
    and parts give the same key, so Stripe answers a repeat with the first answer."""
    options: RequestOptions = {"idempotency_key": ":".join(["crm", purpose, *map(str, parts)])}
    if account:
        options["stripe_account"] = account
    return options


def connected(account_id: str) -> RequestOptions:
    """Options for a call made on a workspace's own (Connect) account."""
    return {"stripe_account": account_id}


def stripe_errors() -> tuple[type[Exception], ...]:
    """What a Stripe call raises when Stripe is down, slow or refuses: callers that turn it
    into StripeUnavailable catch these."""
    return (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


__all__ = ["StripeUnavailable", "connected", "idempotent", "stripe_client", "stripe_errors"]
