"""Billing's jobs, in the public schema: the Stripe customer of a new workspace, the
owner's payment-failed email, and the beat job that ends unpaid trials."""

from __future__ import annotations

from typing import Any

import structlog

from billing.errors import StripeNotConfigured, StripeUnavailable
from billing.services.accounts import (
    CREATE_CUSTOMER_JOB,
    end_expired_trials,
    ensure_stripe_customer,
)
from billing.services.notices import send_payment_failed_notice
from billing.services.subscriptions import PAYMENT_FAILED_EMAIL_JOB
from mail.gateway import TransientSendError
from project.celery import app

log = structlog.get_logger(__name__)

END_TRIALS_JOB = "billing.end_expired_trials"


@app.task(
    name=CREATE_CUSTOMER_JOB,
    bind=True,
    acks_late=True,
    autoretry_for=(StripeUnavailable,),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def create_stripe_customer_job(self: Any, workspace_id: int) -> str:
    """Make the workspace's Stripe customer (once, whatever the retries)."""
    try:
        return ensure_stripe_customer(workspace_id=workspace_id)
    except StripeNotConfigured:
        log.info("stripe_customer_skipped", workspace_id=workspace_id, reason="not_configured")
        return ""


@app.task(
    name=PAYMENT_FAILED_EMAIL_JOB,
    acks_late=True,
    autoretry_for=(TransientSendError,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,
)
def send_payment_failed_email_job(
    workspace_id: int, invoice_id: str, amount_due: int, currency: str
) -> str:
    return send_payment_failed_notice(
        workspace_id=workspace_id, invoice_id=invoice_id, amount_due=amount_due, currency=currency
    )


@app.task(name=END_TRIALS_JOB)
def end_expired_trials_job() -> int:
    return end_expired_trials()
