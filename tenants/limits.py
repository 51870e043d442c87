"""What a workspace's plan allows, enforced where the writes happen (the services), so the
API, the pages and the jobs all agree.

Billing copies the plan's limits onto the Workspace (`seat_limit`, `lead_limit`,
`monthly_email_limit`; empty means unlimited) and sets `read_only_from` when a subscription
ends; this module reads them from the connection's workspace, without a query.

Each `check_*` must run inside the transaction that writes what it counts: it takes a
transaction-scoped advisory lock for that limit of that workspace first, then counts, so two
requests adding the last lead (or seat, or email) at once queue on the lock and the second
one counts what the first wrote. An unlimited workspace takes no lock and counts nothing.

Counting stays cheap at any size: leads from the stage tally the database keeps (a few
hundred rows), seats from the members and pending invitations (a team, not a table scan),
emails from this month's row of mail.EmailUsage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import OneTimeToken, User
from crm.models import LeadStageTally
from mail.models import EmailUsage
from tenants.errors import PlanLimitReached, WorkspaceReadOnly
from tenants.models import Workspace
from tenants.schemas import current_workspace

BILLING_PAGE = "/settings/billing/"


class Limit(StrEnum):
    SEATS = "seats"
    LEADS = "leads"
    EMAILS = "emails"
    SMS_SEGMENTS = "sms_segments"


# First key of pg_advisory_xact_lock(int, int); the second is the workspace's id. The
# two-key space never meets the one-key locks used elsewhere (the template refresh).
LOCK_KEYS = {
    Limit.SEATS: 0x4C494D01,
    Limit.LEADS: 0x4C494D02,
    Limit.EMAILS: 0x4C494D03,
    Limit.SMS_SEGMENTS: 0x4C494D04,
}
NOUNS = {
    Limit.SEATS: "seats",
    Limit.LEADS: "leads",
    Limit.EMAILS: "emails a month",
    Limit.SMS_SEGMENTS: "SMS segments a month",
}
NOUN = {
    Limit.SEATS: "seat",
    Limit.LEADS: "lead",
    Limit.EMAILS: "email a month",
    Limit.SMS_SEGMENTS: "SMS segment a month",
}


def _counted(number: int, limit: Limit) -> str:
    return f"{number:,} {NOUN[limit] if number == 1 else NOUNS[limit]}"


# Billing names the workspace's plan for the refusal messages (BillingConfig.ready), so
# tenants never imports billing; until it does, a message says "Your plan".
_plan_name_of: Callable[[Workspace], str | None] | None = None


def name_plans_with(plan_name_of: Callable[[Workspace], str | None]) -> None:
    """Let billing say which plan a workspace is on, for the refusal messages."""
    global _plan_name_of
    _plan_name_of = plan_name_of


@dataclass(frozen=True)
class LimitUsage:
    """One limit of the workspace against what it uses, for Settings -> Billing."""

    limit: Limit
    allowed: int | None  # None: unlimited
    used: int

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


def _allowed(workspace: Workspace, limit: Limit) -> int | None:
    value = {
        Limit.SEATS: workspace.seat_limit,
        Limit.LEADS: workspace.lead_limit,
        Limit.EMAILS: workspace.monthly_email_limit,
        Limit.SMS_SEGMENTS: workspace.monthly_sms_segment_limit,
    }[limit]
    return None if value is None else int(value)


def _lock(workspace: Workspace, limit: Limit) -> None:
    if not connection.in_atomic_block:
        # Outside a transaction the lock would end with the statement and guard nothing.
        raise RuntimeError("check a plan limit inside the transaction that writes")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_KEYS[limit], workspace.pk])


def _locked_lead_count(workspace: Workspace) -> int:
    """The lock and the count on one cursor: one round trip fewer on the hot path (lead
    creation). Two statements, not one: a statement's snapshot is taken before it waits
    for the lock, so only the next statement sees what the previous holder committed."""
    if not connection.in_atomic_block:
        raise RuntimeError("check a plan limit inside the transaction that writes")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_KEYS[Limit.LEADS], workspace.pk]
        )
        cursor.execute(f"SELECT coalesce(sum(count), 0) FROM {LEAD_TALLY}")  # noqa: S608
        (total,) = cursor.fetchone()
    return int(total)


def this_month(moment: datetime | None = None) -> date:
    """The calendar month (UTC) emails are counted in, as its first day."""
    return (moment or timezone.now()).astimezone(UTC).date().replace(day=1)


LEAD_TALLY = LeadStageTally._meta.db_table


def lead_count() -> int:
    """Every lead of the workspace, from the stage tally (never a count over crm_lead)."""
    return int(LeadStageTally.objects.aggregate(total=Sum("count"))["total"] or 0)


def seats_used(*, counting_invitations: bool = True) -> int:
    """Active members, plus the invitations still waiting for an answer (each holds a seat
    until it is accepted, revoked or expires)."""
    used = User.objects.filter(is_active=True).count()
    if counting_invitations:
        used += OneTimeToken.objects.filter(
            purpose=OneTimeToken.Purpose.INVITATION,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).count()
    return used


def emails_sent_this_month() -> int:
    """Emails queued this calendar month (UTC): campaign audiences as they were frozen, and
    one-off emails; messages of a cancelled campaign that never went out are given back."""
    row = EmailUsage.objects.filter(month=this_month()).values_list("emails", flat=True).first()
    return int(row or 0)


def _refuse(workspace: Workspace, limit: Limit, *, allowed: int, used: int, adding: int) -> None:
    plan = (_plan_name_of(workspace) if _plan_name_of is not None else None) or ""
    plan_words = f"Your {plan} plan" if plan else "Your plan"
    if limit in (Limit.EMAILS, Limit.SMS_SEGMENTS):
        has = f"this workspace has sent {used:,} this month"
        more = "to send more (or wait for the 1st of next month)"
    elif limit == Limit.SEATS:
        has = f"this workspace uses {used:,} (members and pending invitations)"
        more = "to add more"
    else:
        has = f"this workspace has {used:,}"
        more = "to add more"
    if adding > 1:
        has += f" and this would add {adding:,}"
    raise PlanLimitReached(
        f"{plan_words} allows {_counted(allowed, limit)}; {has}. "
        f"Upgrade in Settings → Billing {more}.",
        details=[
            {
                "field": str(limit),
                "code": "plan_limit_reached",
                "message": f"{used:,} of {_counted(allowed, limit)} used; this adds {adding:,}.",
                "limit": allowed,
                "used": used,
                "adding": adding,
                "upgrade_url": BILLING_PAGE,
            }
        ],
    )


Adding = int | Callable[[], int]


def _check(limit: Limit, *, adding: Adding, count: Callable[[], int]) -> None:
    workspace = current_workspace()
    allowed = _allowed(workspace, limit)
    if allowed is None:
        return
    if limit == Limit.LEADS and not callable(adding):
        used = _locked_lead_count(workspace)
    else:
        _lock(workspace, limit)
        used = count()
    # A function is asked only here: an unlimited workspace never pays for the count.
    adding = adding() if callable(adding) else adding
    if adding <= 0:
        return
    if used + adding > allowed:
        _refuse(workspace, limit, allowed=allowed, used=used, adding=adding)


def check_seats(*, adding: Adding = 1, counting_invitations: bool = True) -> None:
    """Raise PlanLimitReached unless `adding` more seats fit the plan. Inviting counts the
    pending invitations (each holds a seat); accepting one turns its seat into a member, so
    it counts members only (`counting_invitations=False`)."""
    _check(
        Limit.SEATS,
        adding=adding,
        count=lambda: seats_used(counting_invitations=counting_invitations),
    )


def check_leads(*, adding: Adding) -> None:
    """Raise PlanLimitReached unless `adding` more leads fit the plan. `adding` may be a
    function (an import's count of new rows), called under the lock and only when the plan
    limits leads."""
    _check(Limit.LEADS, adding=adding, count=lead_count)


def check_emails(*, adding: Adding) -> None:
    """Raise PlanLimitReached unless `adding` more emails fit this month's allowance (a
    function: a campaign's audience, counted only when the plan limits emails). The caller
    records them (record_emails) in the same transaction."""
    _check(Limit.EMAILS, adding=adding, count=emails_sent_this_month)


def emails_left() -> int | None:
    """What this month's allowance has left (None: unlimited); a read, no lock."""
    allowed = _allowed(current_workspace(), Limit.EMAILS)
    return None if allowed is None else max(0, allowed - emails_sent_this_month())


def record_emails(*, count: int, month: date | None = None) -> None:
    """Add `count` queued emails (negative: given back) to a month's usage, in the caller's
    transaction. Counted for every workspace, limited or not, so the Billing page shows the
    month's use and a plan change applies to what was already sent."""
    if count == 0:
        return
    table = EmailUsage._meta.db_table
    with connection.cursor() as cursor:
        # One upsert: two first emails of a month at once never collide on the new row.
        cursor.execute(
            f"INSERT INTO {table} AS u (month, emails) VALUES (%s, GREATEST(%s, 0)) "  # noqa: S608
            "ON CONFLICT (month) DO UPDATE SET emails = GREATEST(u.emails + %s, 0)",
            [month or this_month(), count, count],
        )


def sms_segments_this_month() -> int:
    """SMS segments this calendar month (UTC): a campaign's estimate when its audience was
    frozen, put right to what Twilio billed as each text is sent; one-off texts likewise."""
    row = (
        EmailUsage.objects.filter(month=this_month()).values_list("sms_segments", flat=True).first()
    )
    return int(row or 0)


def check_sms_segments(*, adding: Adding) -> None:
    """Raise PlanLimitReached unless `adding` more SMS segments fit this month's allowance.
    The caller records them (record_sms_segments) in the same transaction."""
    _check(Limit.SMS_SEGMENTS, adding=adding, count=sms_segments_this_month)


def record_sms_segments(*, count: int, month: date | None = None) -> None:
    """Add `count` SMS segments (negative: given back, e.g. an estimate put right) to a
    month's usage, in the caller's transaction; counted for every workspace."""
    if count == 0:
        return
    table = EmailUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} AS u (month, emails, sms_segments) "  # noqa: S608
            "VALUES (%s, 0, GREATEST(%s, 0)) "
            "ON CONFLICT (month) DO UPDATE SET sms_segments = GREATEST(u.sms_segments + %s, 0)",
            [month or this_month(), count, count],
        )


def check_writable() -> None:
    """Raise WorkspaceReadOnly when the workspace's subscription ended and its grace period
    is over: it may be read and exported, not changed, and it sends nothing."""
    if current_workspace().is_read_only:
        raise WorkspaceReadOnly()


def usage() -> list[LimitUsage]:
    """Every limit of the workspace with what it uses now (Settings -> Billing)."""
    workspace = current_workspace()
    counts: dict[Limit, Callable[[], int]] = {
        Limit.SEATS: seats_used,
        Limit.LEADS: lead_count,
        Limit.EMAILS: emails_sent_this_month,
        Limit.SMS_SEGMENTS: sms_segments_this_month,
    }
    return [
        LimitUsage(limit=limit, allowed=_allowed(workspace, limit), used=count())
        for limit, count in counts.items()
    ]
