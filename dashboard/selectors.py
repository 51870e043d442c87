"""The dashboard's numbers: leads and conversion (from crm's tallies), tasks, the last
campaigns' results, and the first steps of a new workspace, each from real data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accounts.models import OneTimeToken, User
from accounts.permissions import Action, can
from crm.models import Lead
from crm.selectors.analytics import (
    CreatedCounts,
    created_counts,
    lead_totals,
    open_task_counts,
    stage_funnel,
)
from dashboard.revenue import revenue_figures
from outreach.models import Campaign
from outreach.selectors.email_settings import postal_address_missing

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
RECENT_CAMPAIGNS = 5


def period_days(raw: str | None) -> int:
    """The period picker's value; anything else (a hand-edited URL) is the default."""
    return int(raw) if raw in {str(days) for days in PERIODS} else DEFAULT_PERIOD


@dataclass(frozen=True)
class FirstStep:
    label: str
    help: str
    url: str
    action: str
    done: bool
    allowed: bool  # may this person take the step? (the page hides the button if not)


def first_steps(user: User) -> list[FirstStep]:
    """What a new workspace does first, each marked done from the data it leaves behind."""
    invited = (
        User.objects.filter(is_active=True).count() > 1
        or OneTimeToken.objects.filter(purpose=OneTimeToken.Purpose.INVITATION).exists()
    )
    return [
        FirstStep(
            "Add or import your leads",
            "Add a lead by hand or import a CSV from your email tool or spreadsheet.",
            "/leads/import/",
            "Import a CSV",
            Lead.objects.exists(),
            can(user, Action.MANAGE_LEADS),
        ),
        FirstStep(
            "Set your postal address",
            "The law asks for it in every marketing email; we add it to the footer.",
            "/settings/email/",
            "Open email settings",
            not postal_address_missing(),
            can(user, Action.MANAGE_CAMPAIGNS),
        ),
        FirstStep(
            "Write your first campaign",
            "An email to a tag or a stage, with merge fields and a preview per lead.",
            "/campaigns/new/",
            "Write a campaign",
            Campaign.objects.exists(),
            can(user, Action.MANAGE_CAMPAIGNS),
        ),
        FirstStep(
            "Invite your team",
            "Assistants and coaches get their own sign-in, with the role you choose.",
            "/team/",
            "Invite someone",
            invited,
            can(user, Action.MANAGE_TEAM),
        ),
    ]


def _change(current: int, previous: int) -> float | None:
    """Percent change against the previous period; None when there is nothing to compare."""
    return round(100 * (current - previous) / previous, 1) if previous else None


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def recent_campaign_results(limit: int = RECENT_CAMPAIGNS) -> list[dict[str, Any]]:
    """The last campaigns that went out (newest first) with open and click rates, read from
    the counters the sending job and the webhooks keep on each campaign."""
    campaigns = Campaign.objects.filter(
        Q(status__in=[Campaign.Status.SENT, Campaign.Status.SENDING, Campaign.Status.PAUSED])
        & Q(started_at__isnull=False)
    ).order_by("-started_at", "-id")[:limit]
    return [
        {
            "id": campaign.pk,
            "name": campaign.name,
            "status": campaign.status,
            "status_label": campaign.get_status_display(),
            "started_at": campaign.started_at,
            "sent": campaign.sent_count,
            "opened": campaign.opened_count,
            "clicked": campaign.clicked_count,
            "open_rate": _rate(campaign.opened_count, campaign.sent_count),
            "click_rate": _rate(campaign.clicked_count, campaign.sent_count),
        }
        for campaign in campaigns
    ]


def _daily_by_source(counts: CreatedCounts, since: datetime, until: datetime) -> dict[str, Any]:
    """Leads created per day (in the active time zone) and source, for a stacked chart."""
    first = timezone.localtime(since).date()
    last = timezone.localtime(until).date()
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    per_source: dict[str, dict[Any, int]] = {}
    for (source, bucket), count in counts.leads.items():
        per_source.setdefault(source, {})[timezone.localtime(bucket).date()] = count
    labels = dict(Lead.Source.choices)
    return {
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {
                "source": source,
                "label": labels.get(source, source),
                "data": [per_source[source].get(day, 0) for day in days],
            }
            for source in sorted(per_source, key=lambda name: -sum(per_source[name].values()))
        ],
    }


def dashboard_figures(*, days: int, user: User, now: datetime) -> dict[str, Any]:
    """Everything the dashboard shows for the last `days` days (a rolling window ending
    now, starting at the top of the hour), compared with the same length of time before."""
    # From the top of the hour: whole hours are read from the hourly tally alone, and only
    # the current hour's leads are counted one by one.
    since = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    previous_since = since - timedelta(days=days)
    current = created_counts(since=since, until=now, by_source=True, period="day")
    previous = created_counts(since=previous_since, until=since)
    new_leads = sum(current.leads.values())
    new_customers = sum(current.customers.values())
    previous_new = sum(previous.leads.values())
    totals = lead_totals()
    campaigns = recent_campaign_results()
    revenue = revenue_figures(since=since, until=now, now=now)
    return {
        "days": days,
        "since": since,
        "until": now,
        "total_leads": totals["total"],
        "new_leads": new_leads,
        "previous_new_leads": previous_new,
        "new_leads_change": _change(new_leads, previous_new),
        "customers": totals["customers"],
        "new_customers": new_customers,
        "period_conversion": _rate(new_customers, new_leads),
        "overall_conversion": _rate(totals["customers"], totals["total"]),
        "tasks": open_task_counts(assignee_id=user.pk, now=now),
        "campaigns": campaigns,
        "revenue": revenue,
        "charts": {
            "revenue_by_month": revenue.chart if revenue else None,
            "leads_by_source": _daily_by_source(current, since, now),
            "funnel": [
                {"stage": row["stage"], "count": row["count"]}
                for row in stage_funnel(totals["by_stage"])
            ],
            "campaigns": [
                {
                    "name": row["name"],
                    "sent": row["sent"],
                    "opened": row["opened"],
                    "clicked": row["clicked"],
                }
                for row in reversed(campaigns)
            ],
        },
    }
