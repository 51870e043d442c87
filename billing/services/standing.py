"""A workspace's standing with the platform: ONE transition table for its billing status,
and the one function that moves it, copying the plan's limits and the read-only date onto
the Workspace (where crm, accounts and outreach read them) in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import structlog
from django_tenants.utils import schema_context

from accounts.services.audit import record_audit_event
from billing.models import BillingAccount, Plan
from tenants.models import BillingStatus, Workspace

log = structlog.get_logger(__name__)

# Where a billing status may go. Stripe is the source of truth for a subscription, so every
# status it can report is reachable from every other; "free" is only where a trial that
# nobody paid for ends (end_expired_trials), never where a subscription goes.
TRANSITIONS: dict[str, frozenset[str]] = {
    BillingStatus.TRIALING: frozenset(
        {BillingStatus.ACTIVE, BillingStatus.PAST_DUE, BillingStatus.ENDED, BillingStatus.FREE}
    ),
    BillingStatus.FREE: frozenset(
        {BillingStatus.TRIALING, BillingStatus.ACTIVE, BillingStatus.PAST_DUE, BillingStatus.ENDED}
    ),
    BillingStatus.ACTIVE: frozenset(
        {BillingStatus.TRIALING, BillingStatus.PAST_DUE, BillingStatus.ENDED}
    ),
    BillingStatus.PAST_DUE: frozenset(
        {BillingStatus.TRIALING, BillingStatus.ACTIVE, BillingStatus.ENDED}
    ),
    BillingStatus.ENDED: frozenset(
        {BillingStatus.TRIALING, BillingStatus.ACTIVE, BillingStatus.PAST_DUE}
    ),
}

# Stripe's subscription status -> ours. `incomplete` (the first payment not made yet) is
# absent on purpose: the workspace keeps the standing it had until Stripe decides.
FROM_STRIPE: dict[str, str] = {
    "trialing": BillingStatus.TRIALING,
    "active": BillingStatus.ACTIVE,
    "past_due": BillingStatus.PAST_DUE,
    "unpaid": BillingStatus.PAST_DUE,
    "canceled": BillingStatus.ENDED,
    "incomplete_expired": BillingStatus.ENDED,
    "paused": BillingStatus.ENDED,
}


def can_move(current: str, target: str) -> bool:
    return current == target or target in TRANSITIONS.get(current, frozenset())


def move_standing(
    *,
    account: BillingAccount,
    plan: Plan,
    status: str,
    read_only_from: datetime | None,
    reason: str,
) -> bool:
    """Put the account on `plan` and the workspace on `status`, copying the plan's limits and
    the read-only date onto the Workspace, and record the change in the workspace's audit
    log. Saves the account. Returns False (and changes nothing) when the table refuses."""
    workspace: Workspace = account.workspace
    if not can_move(workspace.billing_status, status):
        log.warning(
            "billing_status_refused",
            workspace_id=workspace.pk,
            current=workspace.billing_status,
            target=status,
            reason=reason,
        )
        return False
    before = (workspace.billing_status, account.plan_id, workspace.read_only_from)
    account.plan = plan
    account.save()
    workspace.seat_limit = plan.seat_limit
    workspace.lead_limit = plan.lead_limit
    workspace.monthly_email_limit = plan.monthly_email_limit
    workspace.monthly_sms_segment_limit = plan.monthly_sms_segment_limit
    workspace.billing_status = status
    workspace.read_only_from = read_only_from
    # save(), not update(): its post_save drops the cached host lookup that carries these.
    workspace.save(
        update_fields=[
            "seat_limit",
            "lead_limit",
            "monthly_email_limit",
            "monthly_sms_segment_limit",
            "billing_status",
            "read_only_from",
        ]
    )
    if before != (status, plan.pk, read_only_from):
        with schema_context(workspace.schema_name):
            record_audit_event(
                action="billing.standing_changed",
                target=workspace,
                details={
                    "from": before[0],
                    "to": status,
                    "plan": plan.slug,
                    "reason": reason,
                    "read_only_from": read_only_from.isoformat() if read_only_from else None,
                },
            )
        log.info(
            "billing_standing_changed",
            workspace_id=workspace.pk,
            status=status,
            plan=plan.slug,
            reason=reason,
        )
    return True
