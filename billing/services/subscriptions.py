"""A workspace's subscription as Stripe has it. ONE function, sync_subscription, fetches the
subscription and writes everything we keep about it (plan, period, status, the Workspace's
copy); the webhook handlers only find which subscription and call it. State comes from the
fetch, never from the event, so any order of arrival and any replay end the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.models import BillingAccount, InvoiceNotice, Plan
from billing.selectors.accounts import LIVE_STATUSES
from billing.services.standing import FROM_STRIPE, move_standing
from billing.stripe_api import stripe_client
from billing.stripe_calls import stripe_call
from project.celery import queue_job
from tenants.models import BillingStatus

log = structlog.get_logger(__name__)

PAYMENT_FAILED_EMAIL_JOB = "billing.send_payment_failed_email"


def _when(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


def _workspace_id_in(metadata: Any) -> int | None:
    raw = str((metadata or {}).get("workspace_id") or "")
    return int(raw) if raw.isdigit() else None


def find_account(
    *, customer: str = "", subscription_id: str = "", workspace_id: int | None = None
) -> BillingAccount | None:
    """The account a Stripe object belongs to. The customer decides when we know it (one
    customer, one workspace); a workspace id from metadata is taken only when it does not
    contradict the customer, so an event for A's customer never lands on B."""
    by_customer = (
        BillingAccount.objects.filter(stripe_customer_id=customer).first() if customer else None
    )
    if by_customer is not None:
        if workspace_id is not None and by_customer.workspace_id != workspace_id:
            log.warning(
                "stripe_object_workspace_mismatch",
                customer=customer,
                workspace_id=workspace_id,
                account_workspace_id=by_customer.workspace_id,
            )
            return None
        return by_customer
    if subscription_id:
        by_subscription = BillingAccount.objects.filter(
            stripe_subscription_id=subscription_id
        ).first()
        if by_subscription is not None:
            return by_subscription
    if workspace_id is not None:
        candidate = BillingAccount.objects.filter(workspace_id=workspace_id).first()
        # A customer we do not know cannot claim a workspace that already has its own.
        if candidate is not None and (not candidate.stripe_customer_id or not customer):
            return candidate
    return None


def _price_and_interval(subscription: dict[str, Any]) -> tuple[str, str]:
    items = (subscription.get("items") or {}).get("data") or [{}]
    price = items[0].get("price") or {}
    interval = str((price.get("recurring") or {}).get("interval") or "")
    return str(price.get("id") or ""), interval


def _period_end(subscription: dict[str, Any]) -> datetime | None:
    if subscription.get("current_period_end"):
        return _when(subscription["current_period_end"])
    items = (subscription.get("items") or {}).get("data") or [{}]
    return _when(items[0].get("current_period_end"))


def _plan_for_price(price_id: str) -> tuple[Plan | None, str]:
    if not price_id:
        return None, ""
    plan = Plan.objects.filter(
        Q(stripe_monthly_price_id=price_id) | Q(stripe_yearly_price_id=price_id)
    ).first()
    if plan is None:
        return None, ""
    interval = (
        BillingAccount.Interval.MONTH
        if plan.stripe_monthly_price_id == price_id
        else BillingAccount.Interval.YEAR
    )
    return plan, interval


def fetch_subscription(subscription_id: str) -> dict[str, Any] | None:
    """The subscription as Stripe has it now; None when Stripe no longer knows it."""
    client = stripe_client()
    with stripe_call("retrieve_subscription"):
        try:
            return client.v1.subscriptions.retrieve(subscription_id).to_dict()
        except stripe.InvalidRequestError as error:
            if error.code == "resource_missing":
                return None
            raise


def sync_subscription(
    *,
    subscription_id: str,
    workspace_id: int | None = None,
    customer: str = "",
    carried: dict[str, Any] | None = None,
) -> str:
    """Fetch the subscription from Stripe and write it onto its workspace's account: plan
    (by price id), interval, status, trial end, period end, cancel_at_period_end,
    past_due_since, ended_at, and the Workspace's limits, billing status and read-only date.
    Returns an outcome word. Raises StripeUnavailable (nothing written) when Stripe is down.
    Only when Stripe no longer has the subscription does the event's own copy (`carried`)
    stand in for the fetch."""
    hint_metadata = _workspace_id_in((carried or {}).get("metadata"))
    with transaction.atomic():
        # Lock the account the event points at before asking Stripe, so two deliveries
        # about one workspace fetch one after the other: the later fetch is written last.
        hinted = find_account(
            customer=customer, subscription_id=subscription_id, workspace_id=workspace_id
        ) or find_account(subscription_id=subscription_id, workspace_id=hint_metadata)
        if hinted is not None:
            BillingAccount.objects.select_for_update().filter(pk=hinted.pk).first()
        subscription = fetch_subscription(subscription_id) or carried
        if subscription is None:
            log.warning("stripe_subscription_missing", subscription=subscription_id)
            return "unknown_subscription"
        customer = str(subscription.get("customer") or customer or "")
        found = find_account(
            customer=customer,
            subscription_id=subscription_id,
            workspace_id=workspace_id or _workspace_id_in(subscription.get("metadata")),
        )
        if found is None or (hinted is not None and found.pk != hinted.pk):
            log.warning("stripe_subscription_unrouted", subscription=subscription_id)
            return "unknown_customer"
        account = (
            BillingAccount.objects.select_for_update().select_related("workspace").get(pk=found.pk)
        )
        return _write_subscription(account, subscription, customer=customer)


def _write_subscription(
    account: BillingAccount, subscription: dict[str, Any], *, customer: str
) -> str:
    stripe_status = str(subscription.get("status") or "")
    subscription_id = str(subscription["id"])
    current = account.stripe_subscription_id
    if current and current != subscription_id:
        # Another subscription of the same workspace: an old one that ended (or a late
        # snapshot of it) never overwrites the one the workspace has now.
        replaces = stripe_status in {"active", "trialing", "past_due"} or (
            account.subscription_status not in LIVE_STATUSES and stripe_status in LIVE_STATUSES
        )
        if not replaces:
            return "other_subscription"
        log.info("stripe_subscription_replaced", old=current, new=subscription_id)
    price_id, price_interval = _price_and_interval(subscription)
    plan, interval = _plan_for_price(price_id)
    if plan is None:
        log.warning("stripe_price_unknown", price=price_id, subscription=subscription_id)
        plan, interval = account.plan, price_interval or account.interval
    now = timezone.now()
    status = FROM_STRIPE.get(stripe_status)
    account.stripe_subscription_id = subscription_id
    if customer and not account.stripe_customer_id:
        account.stripe_customer_id = customer
    account.subscription_status = stripe_status
    account.interval = interval if interval in BillingAccount.Interval.values else account.interval
    account.trial_ends_at = _when(subscription.get("trial_end")) or account.trial_ends_at
    account.current_period_end = _period_end(subscription)
    account.cancel_at_period_end = bool(subscription.get("cancel_at_period_end"))
    if status == BillingStatus.PAST_DUE:
        account.past_due_since = account.past_due_since or now
    else:
        account.past_due_since = None
    if status == BillingStatus.ENDED:
        account.ended_at = (
            _when(subscription.get("ended_at"))
            or _when(subscription.get("canceled_at"))
            or account.ended_at
            or now
        )
    else:
        account.ended_at = None
    if status is None:  # incomplete: keep the standing until Stripe decides
        account.save()
        return "applied"
    read_only_from = (
        account.ended_at + timedelta(days=settings.CRM_BILLING_GRACE_DAYS)
        if status == BillingStatus.ENDED and account.ended_at
        else None
    )
    moved = move_standing(
        account=account,
        plan=plan,
        status=status,
        read_only_from=read_only_from,
        reason=f"stripe_{stripe_status}",
    )
    return "applied" if moved else "refused"


def link_checkout_session(*, session: dict[str, Any]) -> str:
    """A completed subscription Checkout: tie its subscription to the workspace named by
    the customer, client_reference_id or metadata (never to one they contradict), then sync
    it from Stripe."""
    if session.get("mode") != "subscription" or not session.get("subscription"):
        return "ignored"
    reference = str(session.get("client_reference_id") or "")
    workspace_id = int(reference) if reference.isdigit() else None
    metadata_id = _workspace_id_in(session.get("metadata"))
    if workspace_id is not None and metadata_id is not None and workspace_id != metadata_id:
        log.warning("checkout_session_references_disagree", session=session.get("id"))
        return "account_mismatch"
    subscription = session["subscription"]
    subscription_id = str(subscription["id"] if isinstance(subscription, dict) else subscription)
    return sync_subscription(
        subscription_id=subscription_id,
        workspace_id=workspace_id or metadata_id,
        customer=str(session.get("customer") or ""),
    )


def _invoice_subscription_id(invoice: dict[str, Any]) -> str:
    direct = invoice.get("subscription")
    if direct:
        return str(direct["id"] if isinstance(direct, dict) else direct)
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return str(details.get("subscription") or "")


def sync_invoice_subscription(*, invoice: dict[str, Any]) -> str:
    """An invoice was paid (or not): its subscription, fetched, says what that changed."""
    subscription_id = _invoice_subscription_id(invoice)
    if not subscription_id:
        return "ignored"
    return sync_subscription(
        subscription_id=subscription_id, customer=str(invoice.get("customer") or "")
    )


def record_failed_payment(*, invoice: dict[str, Any]) -> str:
    """An invoice's payment failed: sync its subscription; if the invoice, fetched now, is
    still unpaid, the workspace is past due and its owner gets one email for this invoice
    (queued after commit, whatever the number of deliveries)."""
    outcome = sync_invoice_subscription(invoice=invoice)
    if outcome in {"unknown_customer", "other_subscription"}:
        return outcome
    with stripe_call("retrieve_invoice"):
        fresh = stripe_client().v1.invoices.retrieve(str(invoice["id"])).to_dict()
    if fresh.get("status") in {"paid", "void"} or fresh.get("paid") is True:
        return "settled"
    with transaction.atomic():
        found = find_account(
            customer=str(fresh.get("customer") or ""),
            subscription_id=_invoice_subscription_id(fresh),
        )
        if found is None:
            return "unknown_customer"
        account = (
            BillingAccount.objects.select_for_update().select_related("workspace").get(pk=found.pk)
        )
        workspace = account.workspace
        if workspace.billing_status in {BillingStatus.ACTIVE, BillingStatus.TRIALING}:
            account.past_due_since = account.past_due_since or timezone.now()
            move_standing(
                account=account,
                plan=account.plan,
                status=BillingStatus.PAST_DUE,
                read_only_from=None,
                reason="invoice_payment_failed",
            )
        if workspace.billing_status != BillingStatus.PAST_DUE:
            return outcome
        _, created = InvoiceNotice.objects.get_or_create(
            invoice_id=str(fresh["id"]),
            kind=InvoiceNotice.Kind.PAYMENT_FAILED,
            defaults={"workspace": workspace},
        )
        if created:
            args = (
                workspace.pk,
                str(fresh["id"]),
                int(fresh.get("amount_due") or 0),
                str(fresh.get("currency") or "usd"),
            )
            transaction.on_commit(lambda: queue_job(PAYMENT_FAILED_EMAIL_JOB, *args), robust=True)
    return "past_due"
