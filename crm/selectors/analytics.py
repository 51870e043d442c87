"""Lead numbers read from the tallies the database keeps (crm.LeadTally, LeadStageTally),
never by counting a million leads: GET /analytics/summary and the dashboard.

Counts over a time range are exact for any range: whole UTC hours come from the hourly
tally, and the partial hours at either end (at most two) are counted on crm_lead itself
through its created_at index.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from crm.models import Lead, LeadStageTally, LeadTally, Message, PipelineStage, Task

TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
HOUR = timedelta(hours=1)


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _ceil_hour(moment: datetime) -> datetime:
    floor = _floor_hour(moment)
    return floor if floor == moment else floor + HOUR


@dataclass
class CreatedCounts:
    """Leads created in a time range, and how many of them are customers now, per key."""

    leads: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    customers: Counter[tuple[Any, ...]] = field(default_factory=Counter)


def created_counts(
    *, since: datetime, until: datetime, by_source: bool = False, period: str | None = None
) -> CreatedCounts:
    """Leads created in [since, until) (and the customers among them), counted by source
    and, with `period`, by the day, week or month (active time zone) they were created."""
    start, end = _ceil_hour(since), _floor_hour(until)
    counts = CreatedCounts()
    keys = ["source"] if by_source else []
    if period:
        keys.append("bucket")

    def add(rows: Any) -> None:
        for row in rows:
            key = tuple(row[name] for name in keys)
            counts.leads[key] += row["n"] or 0
            counts.customers[key] += row["customers_n"] or 0

    if start < end:
        tallies = LeadTally.objects.filter(hour__gte=start, hour__lt=end)
        if period:
            tallies = tallies.annotate(bucket=TRUNCATE[period]("hour"))
        sums = {"n": Sum("count"), "customers_n": Sum("customers")}
        add(
            tallies.values(*keys).annotate(**sums).order_by()
            if keys
            else [tallies.aggregate(**sums)]
        )
        edges = [(since, start), (end, until)]
    else:
        edges = [(since, until)]
    for edge_start, edge_end in edges:
        if edge_start >= edge_end:
            continue
        leads = Lead.objects.filter(created_at__gte=edge_start, created_at__lt=edge_end)
        if period:
            leads = leads.annotate(bucket=TRUNCATE[period]("created_at"))
        counted = {
            "n": Count("id"),
            "customers_n": Count("id", filter=Q(status=Lead.Status.CUSTOMER)),
        }
        add(
            leads.values(*keys).annotate(**counted).order_by()
            if keys
            else [leads.aggregate(**counted)]
        )
    counts.leads = Counter({key: n for key, n in counts.leads.items() if n})
    return counts


def lead_totals() -> dict[str, Any]:
    """Every lead now: the total, and counts by source, status and stage (stage id, 0 for
    none), read from the stage tally (a few hundred rows at most)."""
    by_source: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_stage: Counter[int] = Counter()
    for stage_id, source, status, count in LeadStageTally.objects.filter(count__gt=0).values_list(
        "stage_id", "source", "status", "count"
    ):
        by_source[source] += count
        by_status[status] += count
        by_stage[stage_id] += count
    return {
        "total": sum(by_source.values()),
        "customers": by_status[Lead.Status.CUSTOMER],
        "by_source": dict(sorted(by_source.items())),
        "by_status": dict(sorted(by_status.items())),
        "by_stage": by_stage,
    }


def stage_funnel(by_stage: Counter[int]) -> list[dict[str, Any]]:
    """The pipeline in board order with each stage's lead count; leads without a stage last
    (only when there are some)."""
    funnel = [
        {"id": stage.pk, "stage": stage.name, "count": by_stage.get(stage.pk, 0)}
        for stage in PipelineStage.objects.order_by("order", "id")
    ]
    if by_stage.get(0):
        funnel.append({"id": None, "stage": "No stage", "count": by_stage[0]})
    return funnel


def open_task_counts(*, assignee_id: int, now: datetime) -> dict[str, int]:
    """Open tasks of the workspace and of one member, and how many of each are overdue: one
    index-only scan of the partial index on open tasks by (assignee, due date)."""
    mine = Q(assignee_id=assignee_id)
    overdue = Q(due_at__lt=now)
    return Task.objects.filter(done_at__isnull=True).aggregate(
        open=Count("*"),
        # Counting a column the filter already requires to be set counts the rows.
        overdue=Count("due_at", filter=overdue),
        mine=Count("assignee_id", filter=mine),
        mine_overdue=Count("due_at", filter=mine & overdue),
    )


def summary(
    *, since: datetime | None = None, until: datetime | None = None, period: str = "day"
) -> dict[str, Any]:
    until = until or timezone.now()
    since = since or until - timedelta(days=30)
    totals = lead_totals()
    by_bucket: Counter[Any] = Counter()
    for (bucket,), count in created_counts(since=since, until=until, period=period).leads.items():
        by_bucket[bucket] += count
    messages = Message.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    return {
        "since": since,
        "until": until,
        "period": period,
        "total_leads": totals["total"],
        "new_leads": sum(by_bucket.values()),
        "new_leads_by_period": [
            {"period": bucket, "count": count} for bucket, count in sorted(by_bucket.items())
        ],
        "by_source": totals["by_source"],
        "by_status": totals["by_status"],
        "by_stage": sorted(
            (
                {"stage": row["stage"], "count": row["count"]}
                for row in stage_funnel(totals["by_stage"])
                if row["count"]
            ),
            key=lambda row: -row["count"],
        ),
        "conversion_rate": round(totals["customers"] / totals["total"], 4)
        if totals["total"]
        else 0.0,
        "messages_by_channel": [
            {"channel": row["channel"], "direction": row["direction"], "count": row["count"]}
            for row in messages.values("channel", "direction")
            .annotate(count=Count("id"))
            .order_by("channel", "direction")
        ],
    }
