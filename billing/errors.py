"""Every domain error billing raises, with its stable code."""

from __future__ import annotations

from project.errors import DomainError, InvalidInput


class StripeNotConfigured(DomainError):
    code = "billing_not_configured"
    status = 503
    default_message = (
        "Payments are not set up on this platform yet (no Stripe key). "
        "Ask the platform owner to set STRIPE_SECRET_KEY."
    )


class StripeUnavailable(DomainError):
    code = "stripe_unavailable"
    status = 503
    default_message = "Stripe did not answer just now; nothing was changed. Try again shortly."


class WebhookSignatureInvalid(InvalidInput):
    code = "invalid_signature"
    status = 400
    default_message = (
        "The Stripe-Signature header does not match this body, or its timestamp is too old."
    )


class WebhookPayloadInvalid(InvalidInput):
    code = "invalid_payload"
    status = 400
    default_message = "The body is not a Stripe event."
