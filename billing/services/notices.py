"""Emails billing sends a workspace's owner, through the account-email path."""

from __future__ import annotations

from decimal import Decimal

import structlog
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.emails import send_payment_failed_email
from billing.selectors.plans import money
from tenants.models import Workspace

log = structlog.get_logger(__name__)

# Stripe's currencies without minor units (amounts arrive whole).
ZERO_DECIMAL_CURRENCIES = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"})


def send_payment_failed_notice(
    *, workspace_id: int, invoice_id: str, amount_due: int, currency: str
) -> str:
    """Tell the workspace's owner that the platform could not charge them, with the link
    to fix the payment. Returns the provider's message id ("" when there is no owner)."""
    workspace = Workspace.objects.get(pk=workspace_id)
    with schema_context(workspace.schema_name):
        owner = (
            User.objects.filter(role=User.Role.OWNER, is_active=True)
            .order_by("date_joined")
            .first()
        )
        if owner is None:
            log.warning("payment_failed_no_owner", workspace_id=workspace_id)
            return ""
        exponent = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
        amount = money(Decimal(amount_due).scaleb(-exponent), currency.upper())
        message_id = send_payment_failed_email(
            user=owner,
            workspace_name=workspace.name,
            amount=amount,
            url=f"{workspace.url}/settings/billing/",
        )
    log.info("payment_failed_email_sent", workspace_id=workspace_id, invoice=invoice_id)
    return message_id
