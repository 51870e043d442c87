"""How the selling side turns a failed Stripe call into a domain error: Stripe down, slow or
rate limiting is StripeUnavailable (503), any other refusal StripeRefused (502). Callers make
their Stripe calls under `stripe_call()` before their own transaction, so a failure leaves
nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import stripe
import structlog

from billing.errors import StripeUnavailable
from billing.payments.errors import StripeRefused
from billing.stripe_api import stripe_errors

log = structlog.get_logger()


@contextmanager
def stripe_call(purpose: str) -> Iterator[None]:
    try:
        yield
    except stripe_errors() as error:
        log.warning("stripe_unavailable", purpose=purpose, error=type(error).__name__)
        raise StripeUnavailable() from error
    except stripe.StripeError as error:
        log.warning("stripe_refused", purpose=purpose, error=str(error.user_message or error))
        raise StripeRefused(
            f"Stripe refused this ({error.user_message or type(error).__name__}); "
            "nothing was changed."
        ) from error
