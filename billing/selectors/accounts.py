"""What billing shows: a workspace's plan, standing and usage (Settings -> Billing), its
invoices from Stripe, and the console's figures (each workspace's MRR, the platform's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from django.db.models import Count, Q
from django_tenants.utils import schema_context

from billing.errors import StripeNotConfigured, StripeRefused, StripeUnavailable
from billing.models import BillingAccount, Plan
from billing.selectors.plans import PlanOffer, money, plans_on_sale
from billing.stripe_api import stripe_client
from billing.stripe_calls import stripe_call
from tenants.limits import Limit
from tenants.limits import usage as limit_usage
from tenants.models import BillingStatus, Workspace

log = structlog.get_logger(__name__)

# Stripe subscription statuses that are (still) a subscription; and those that earn now.
LIVE_STATUSES = frozenset({"trialing", "active", "past_due", "unpaid", "incomplete"})
EARNING_STATUSES = ("active", "past_due")
INVOICES_SHOWN = 12


@dataclass(frozen=True)
class Usage:
    label: str
    used: int
    limit: int | None

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(self.used * 100 / self.limit))

    @property
    def is_over(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    @property
    def limit_text(self) -> str:
        return "Unlimited" if self.limit is None else f"{self.limit:,}"


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    created: datetime | None
    amount: str
    status: str
    url: str


@dataclass(frozen=True)
class InvoiceList:
    items: list[InvoiceRow] = field(default_factory=list)
    problem: str = ""  # why they could not be shown, in words


@dataclass(frozen=True)
class BillingOverview:
    account: BillingAccount
    plan: Plan
    status: str
    status_label: str
    has_subscription: bool
    usage: list[Usage]
    offers: list[PlanOffer]
    mrr: str


def _from_timestamp(value: object) -> datetime | None:
    return datetime.fromtimestamp(int(str(value)), UTC) if value else None


def billing_account(*, workspace: Workspace) -> BillingAccount | None:
    return BillingAccount.objects.select_related("plan").filter(workspace=workspace).first()


USAGE_LABELS = {
    Limit.SEATS: "Seats (members and pending invitations)",
    Limit.LEADS: "Leads",
    Limit.EMAILS: "Emails this month",
    Limit.SMS_SEGMENTS: "SMS segments this month",
}


def _usage(workspace: Workspace) -> list[Usage]:
    """What the limit checks count, counted by them (tenants.limits), so the page and the
    refusals always agree."""
    with schema_context(workspace.schema_name):
        return [Usage(USAGE_LABELS[row.limit], row.used, row.allowed) for row in limit_usage()]


def monthly_value(account: BillingAccount) -> Decimal:
    """What the account's subscription earns a month (yearly / 12); 0 unless it earns."""
    if account.subscription_status not in EARNING_STATUSES or not account.stripe_subscription_id:
        return Decimal("0")
    if account.interval == BillingAccount.Interval.YEAR:
        return (account.plan.yearly_price / 12).quantize(Decimal("0.01"))
    return account.plan.monthly_price


def billing_overview(*, workspace: Workspace) -> BillingOverview | None:
    """Settings -> Billing without Stripe: plan, standing, usage against each limit (read in
    the workspace's schema from cheap counts) and the plans on sale. None without account."""
    account = billing_account(workspace=workspace)
    if account is None:
        return None
    return BillingOverview(
        account=account,
        plan=account.plan,
        status=workspace.billing_status,
        status_label=BillingStatus(workspace.billing_status).label,
        has_subscription=bool(
            account.stripe_subscription_id and account.subscription_status in LIVE_STATUSES
        ),
        usage=_usage(workspace),
        offers=[offer for offer in plans_on_sale() if not offer.is_free],
        mrr=money(monthly_value(account), account.plan.currency),
    )


def list_invoices(*, account: BillingAccount) -> InvoiceList:
    """The account's latest invoices from Stripe. Stripe down or not configured: no
    invoices and a sentence saying why, never an error."""
    if not account.stripe_customer_id:
        return InvoiceList(problem="No invoices yet: they appear here after your first payment.")
    try:
        client = stripe_client()
        with stripe_call("list_invoices"):
            page = client.v1.invoices.list(
                params={"customer": account.stripe_customer_id, "limit": INVOICES_SHOWN}
            )
    except StripeNotConfigured:
        return InvoiceList(problem="Invoices could not be loaded: billing is not set up yet.")
    except (StripeUnavailable, StripeRefused):
        return InvoiceList(
            problem="Invoices could not be loaded: Stripe did not answer. Reload in a minute."
        )
    rows = []
    for invoice in page.data:
        item = invoice.to_dict()
        amount = Decimal(int(item.get("amount_due") or item.get("total") or 0)).scaleb(-2)
        rows.append(
            InvoiceRow(
                number=str(item.get("number") or item.get("id")),
                created=_from_timestamp(item.get("created")),
                amount=money(amount, str(item.get("currency") or "usd").upper()),
                status=str(item.get("status") or ""),
                url=str(item.get("hosted_invoice_url") or ""),
            )
        )
    return InvoiceList(items=rows)


@dataclass(frozen=True)
class BillingSummary:
    plan: str
    status: str
    status_label: str
    trial_ends_at: datetime | None
    mrr: str
    subscription_status: str


def billing_summaries(*, workspace_ids: Iterable[int]) -> dict[int, BillingSummary]:
    """The console's billing columns for these workspaces, in one query."""
    accounts = BillingAccount.objects.select_related("plan", "workspace").filter(
        workspace_id__in=list(workspace_ids)
    )
    return {
        account.workspace_id: BillingSummary(
            plan=account.plan.name,
            status=account.workspace.billing_status,
            status_label=BillingStatus(account.workspace.billing_status).label,
            trial_ends_at=account.trial_ends_at
            if account.workspace.billing_status == BillingStatus.TRIALING
            else None,
            mrr=money(monthly_value(account), account.plan.currency)
            if monthly_value(account)
            else "",
            subscription_status=account.subscription_status,
        )
        for account in accounts
    }


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    amount: str
    subscriptions: int


def platform_mrr() -> list[CurrencyTotal]:
    """Monthly recurring revenue of every earning subscription (active or past due; yearly
    counted as a twelfth), one total per currency: never summed across currencies."""
    totals: dict[str, tuple[Decimal, int]] = {}
    earning = BillingAccount.objects.select_related("plan").filter(
        ~Q(stripe_subscription_id=""), subscription_status__in=EARNING_STATUSES
    )
    for account in earning:
        amount, count = totals.get(account.plan.currency, (Decimal("0"), 0))
        totals[account.plan.currency] = (amount + monthly_value(account), count + 1)
    return [
        CurrencyTotal(currency=currency, amount=money(amount, currency), subscriptions=count)
        for currency, (amount, count) in sorted(totals.items())
    ]


@dataclass(frozen=True)
class ConsolePlan:
    plan: Plan
    monthly_price: str
    yearly_price: str
    workspaces: int


def console_plans() -> list[ConsolePlan]:
    """Every plan, on sale or not, in pricing order, with how many workspaces are on it."""
    plans = Plan.objects.annotate(workspace_count=Count("accounts")).order_by(
        "order", "monthly_price", "pk"
    )
    return [
        ConsolePlan(
            plan=plan,
            monthly_price=money(plan.monthly_price, plan.currency),
            yearly_price=money(plan.yearly_price, plan.currency),
            workspaces=int(plan.workspace_count),
        )
        for plan in plans
    ]
