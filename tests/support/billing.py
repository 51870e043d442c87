"""Platform billing as the tests drive it: priced plans in the double, a workspace's
customer and subscription on Stripe's side, signed deliveries to /webhooks/stripe, and
billing's jobs run eagerly after commit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from billing.models import BillingAccount, Plan
from billing.services.accounts import ensure_stripe_customer
from tests.support.stripe_double import PLATFORM_SECRET, StripeDouble, signature_header

PRICES = {"month": 1, "year": 10}  # a yearly price is ten months


def price_plan(stripe_api: StripeDouble, slug: str) -> Plan:
    """Give the plan its Stripe prices (in the double and on the row)."""
    with schema_context("public"):
        plan = Plan.objects.get(slug=slug)
        for interval, field in (("month", "monthly_price"), ("year", "yearly_price")):
            stripe_api.put(
                "prices",
                {
                    "id": f"price_{slug}_{interval}",
                    "unit_amount": int(getattr(plan, field) * 100),
                    "currency": plan.currency.lower(),
                    "recurring": {"interval": interval},
                },
            )
        plan.stripe_monthly_price_id = f"price_{slug}_month"
        plan.stripe_yearly_price_id = f"price_{slug}_year"
        plan.save()
        return plan


def account_of(workspace: Any) -> BillingAccount:
    with schema_context("public"):
        return BillingAccount.objects.select_related("plan", "workspace").get(
            workspace_id=workspace.pk
        )


def customer_of(workspace: Any) -> str:
    with schema_context("public"):
        return ensure_stripe_customer(workspace_id=workspace.pk)


def subscribe(
    stripe_api: StripeDouble, workspace: Any, slug: str, interval: str = "month", **changes: Any
) -> dict[str, Any]:
    """A subscription on Stripe's side for the workspace's customer (no event sent)."""
    subscription = stripe_api.subscription_for(
        customer=customer_of(workspace), price_id=f"price_{slug}_{interval}"
    )
    subscription["metadata"] = {"workspace_id": str(workspace.pk)}
    if changes:
        stripe_api.set_subscription(subscription["id"], **changes)
    return subscription


def deliver(client: Client, event: dict[str, Any], *, secret: str = PLATFORM_SECRET):
    payload = json.dumps(event)
    return client.post(
        "/webhooks/stripe",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, secret),
    )


@contextmanager
def jobs_run_on_commit(capture: Any) -> Iterator[list[Any]]:
    """Run what is queued after commit, eagerly, in this process (as a worker would)."""
    from project.celery import app

    app.conf.task_always_eager = True
    try:
        with capture(execute=True) as callbacks:
            yield callbacks
    finally:
        app.conf.task_always_eager = False
