"""Every domain error billing raises, with its stable code."""

from __future__ import annotations

from project.errors import Conflict, DomainError, InvalidInput, NotFound


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


class StripeRefused(Conflict):
    code = "stripe_refused"
    default_message = "Stripe refused the request; nothing was changed."


class PlanNotPurchasable(Conflict):
    code = "plan_not_purchasable"
    default_message = (
        "This plan cannot be bought online yet (it has no Stripe price for that period). "
        "Choose another plan or period, or write to us."
    )


class AlreadySubscribed(Conflict):
    code = "already_subscribed"
    default_message = (
        "This workspace already has a subscription. Change plan or period with "
        "'Manage billing', so that you are never charged twice."
    )


class BillingAccountMissing(NotFound):
    code = "billing_account_missing"
    default_message = "This workspace has no billing account yet. Try again in a minute."
