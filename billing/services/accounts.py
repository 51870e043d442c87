"""A workspace's billing account: opened on sign-up (on the trial plan), its Stripe
customer made once, and the trial that nobody paid for moved to the free plan."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.errors import BillingAccountMissing
from billing.models import BillingAccount, Plan
from billing.services.standing import move_standing
from billing.stripe_api import idempotent, stripe_client
from billing.stripe_calls import stripe_call
from project.celery import queue_job
from tenants.models import BillingStatus, Workspace

log = structlog.get_logger(__name__)

CREATE_CUSTOMER_JOB = "billing.create_stripe_customer"


def trial_plan() -> Plan:
    """CRM_TRIAL_PLAN, or the free plan when that one is missing."""
    plan = Plan.objects.filter(slug=settings.CRM_TRIAL_PLAN).first()
    return plan or free_plan()


def free_plan() -> Plan:
    return Plan.objects.get(slug=settings.CRM_FREE_PLAN)


def open_billing_account(*, workspace: Workspace, owner_email: str = "") -> BillingAccount:
    """Put a new workspace on the trial plan (its limits copied onto the Workspace) and, once
    the sign-up commits, queue the job that makes its Stripe customer. Runs in the caller's
    transaction (create_workspace's), so a failure here undoes the sign-up."""
    plan = trial_plan()
    trial_ends_at = timezone.now() + timedelta(days=plan.trial_days) if plan.trial_days else None
    account = BillingAccount.objects.create(
        workspace=workspace, plan=plan, trial_ends_at=trial_ends_at
    )
    move_standing(
        account=account,
        plan=plan,
        status=BillingStatus.TRIALING if trial_ends_at else BillingStatus.FREE,
        read_only_from=None,
        reason="signed_up",
    )
    # robust: a broker hiccup must not fail a committed sign-up (checkout makes the
    # customer itself when the job never ran).
    transaction.on_commit(lambda: queue_job(CREATE_CUSTOMER_JOB, workspace.pk), robust=True)
    return account


def ensure_stripe_customer(*, workspace_id: int) -> str:
    """The workspace's Stripe customer id, made now if it has none. The idempotency key is
    derived from the workspace, so a retried job (or a lost answer) never makes two.
    Raises StripeNotConfigured, StripeUnavailable or BillingAccountMissing."""
    account = (
        BillingAccount.objects.select_related("workspace").filter(workspace_id=workspace_id).first()
    )
    if account is None:
        raise BillingAccountMissing()
    if account.stripe_customer_id:
        return account.stripe_customer_id
    workspace = account.workspace
    client = stripe_client()
    with stripe_call("create_customer"):
        customer = client.v1.customers.create(
            params={
                "name": workspace.name,
                "description": f"Workspace {workspace.slug} ({workspace.url})",
                "metadata": {"workspace_id": str(workspace.pk), "slug": workspace.slug},
            },
            options=idempotent("customer", workspace.pk),
        )
    with transaction.atomic():
        locked = BillingAccount.objects.select_for_update().get(pk=account.pk)
        if not locked.stripe_customer_id:
            locked.stripe_customer_id = customer.id
            locked.save(update_fields=["stripe_customer_id", "updated"])
            log.info("stripe_customer_created", workspace_id=workspace_id, customer=customer.id)
        return str(locked.stripe_customer_id)


def end_expired_trials(*, now: datetime | None = None) -> int:
    """Move every workspace whose trial is over and that never subscribed (or whose
    subscription never went live) onto the free plan's limits, billing_status=free.
    Returns how many moved; running it twice moves nobody twice."""
    now = now or timezone.now()
    plan = free_plan()
    expired = BillingAccount.objects.filter(
        trial_ends_at__lte=now, workspace__billing_status=BillingStatus.TRIALING
    ).filter(Q(stripe_subscription_id="") | Q(subscription_status__in=["", "incomplete_expired"]))
    moved = 0
    for account_id in expired.values_list("pk", flat=True):
        with transaction.atomic():
            account = (
                BillingAccount.objects.select_for_update()
                .select_related("workspace")
                .get(pk=account_id)
            )
            still_trialing = account.workspace.billing_status == BillingStatus.TRIALING
            if not still_trialing or account.subscription_status in {"active", "trialing"}:
                continue
            if move_standing(
                account=account,
                plan=plan,
                status=BillingStatus.FREE,
                read_only_from=None,
                reason="trial_ended",
            ):
                moved += 1
    if moved:
        log.info("trials_ended", count=moved)
    return moved
