"""Plans as data, changed by platform staff in the console."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Q
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import User
from accounts.services.audit import record_audit_event
from billing.models import BillingAccount, Plan
from project.errors import InvalidInput, field_error
from tenants.models import Workspace
from tenants.services.console import require_staff

log = structlog.get_logger(__name__)

PLAN_FIELDS = (
    "name",
    "slug",
    "tagline",
    "currency",
    "monthly_price",
    "yearly_price",
    "stripe_monthly_price_id",
    "stripe_yearly_price_id",
    "seat_limit",
    "lead_limit",
    "monthly_email_limit",
    "monthly_sms_segment_limit",
    "trial_days",
    "is_active",
    "order",
)
LIMIT_FIELDS = ("seat_limit", "lead_limit", "monthly_email_limit", "monthly_sms_segment_limit")


def _plan_errors(plan: Plan) -> list[dict[str, str]]:
    errors = []
    for field in ("stripe_monthly_price_id", "stripe_yearly_price_id"):
        value = getattr(plan, field)
        if value and not value.startswith("price_"):
            errors.append(field_error(field, "invalid", "A Stripe price id starts with price_."))
        elif value:
            taken = Plan.objects.exclude(pk=plan.pk).filter(
                Q(stripe_monthly_price_id=value) | Q(stripe_yearly_price_id=value)
            )
            if taken.exists():
                errors.append(
                    field_error(field, "taken", "Another plan already uses this Stripe price.")
                )
    if plan.stripe_monthly_price_id and plan.stripe_monthly_price_id == plan.stripe_yearly_price_id:
        errors.append(
            field_error(
                "stripe_yearly_price_id", "same_price", "Monthly and yearly need their own price."
            )
        )
    if Plan.objects.exclude(pk=plan.pk).filter(slug=plan.slug).exists():
        errors.append(field_error("slug", "taken", "Another plan has this slug."))
    if plan.monthly_price < Decimal("0") or plan.yearly_price < Decimal("0"):
        errors.append(field_error("monthly_price", "negative", "Prices cannot be negative."))
    return errors


def save_plan(
    *, staff_user: User, plan: Plan | None, changes: dict[str, Any], ip: str | None
) -> Plan:
    """Create a plan or change one. Its limits are copied at once onto every workspace on
    it, in the same transaction, with the change in the platform audit log. Raises
    InvalidInput (field details) or NotStaff."""
    require_staff(staff_user)
    with schema_context(get_public_schema_name()), transaction.atomic():
        target = Plan.objects.select_for_update().get(pk=plan.pk) if plan else Plan()
        before = {field: getattr(target, field) for field in PLAN_FIELDS} if plan else {}
        for field in PLAN_FIELDS:
            if field in changes:
                setattr(target, field, changes[field])
        target.currency = (target.currency or "USD").upper()
        errors = _plan_errors(target)
        if errors:
            raise InvalidInput(details=errors)
        target.save()
        changed = {
            field: str(getattr(target, field))
            for field in PLAN_FIELDS
            if before.get(field) != getattr(target, field)
        }
        if plan and any(field in changed for field in LIMIT_FIELDS):
            on_plan = BillingAccount.objects.filter(plan=target).values("workspace_id")
            for workspace in Workspace.objects.filter(pk__in=on_plan):
                workspace.seat_limit = target.seat_limit
                workspace.lead_limit = target.lead_limit
                workspace.monthly_email_limit = target.monthly_email_limit
                workspace.monthly_sms_segment_limit = target.monthly_sms_segment_limit
                # save(): drops each cached host lookup that carries the limits.
                workspace.save(update_fields=list(LIMIT_FIELDS))
        record_audit_event(
            action="console.plan_changed" if plan else "console.plan_created",
            actor=staff_user,
            target=target,
            ip=ip,
            details={"slug": target.slug, "changed": changed},
        )
    log.info("plan_saved", plan=target.slug, changed=sorted(changed))
    return target
