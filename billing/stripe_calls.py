"""How a Stripe call's failure reads to our callers: down, slow or rate limited is
StripeUnavailable (503, try again), any other refusal is StripeRefused (409), and both
mean nothing was changed on our side (callers write only after Stripe answered)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe
import structlog

from billing.errors import StripeRefused, StripeUnavailable
from billing.stripe_api import stripe_errors

log = structlog.get_logger(__name__)


@contextmanager
def stripe_call(purpose: str) -> Iterator[None]:
    try:
        yield
    except stripe_errors() as error:
        log.warning("stripe_unavailable", purpose=purpose, error=type(error).__name__)
        raise StripeUnavailable() from None
    except stripe.StripeError as error:
        log.warning("stripe_refused", purpose=purpose, error=str(error.user_message or error))
        message = str(error.user_message or "") or StripeRefused.default_message
        raise StripeRefused(f"Stripe refused the request: {message}") from None
