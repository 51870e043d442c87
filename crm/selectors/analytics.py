"""GET /analytics/summary: the numbers a coach looks at on Monday morning."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from crm.models import Lead, Message

TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def summary(
    *, since: datetime | None = None, until: datetime | None = None, period: str = "day"
) -> dict[str, Any]:
    until = until or timezone.now()
    since = since or until - timedelta(days=30)
    in_range = Lead.objects.filter(created_at__gte=since, created_at__lt=until)
    totals = Lead.objects.aggregate(
        total=Count("id"), customers=Count("id", filter=Q(status=Lead.Status.CUSTOMER))
    )
    new_by_period = (
        in_range.annotate(bucket=TRUNCATE[period]("created_at"))
        .values("bucket")
        .annotate(count=Count("id"))
        .order_by("bucket")
    )
    messages = Message.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    return {
        "since": since,
        "until": until,
        "period": period,
        "total_leads": totals["total"],
        "new_leads": in_range.count(),
        "new_leads_by_period": [
            {"period": row["bucket"], "count": row["count"]} for row in new_by_period
        ],
        "by_source": _counts(Lead.objects, "source"),
        "by_status": _counts(Lead.objects, "status"),
        "by_stage": [
            {"stage": row["stage__name"] or "No stage", "count": row["count"]}
            for row in Lead.objects.values("stage__name")
            .annotate(count=Count("id"))
            .order_by("-count")
        ],
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


def _counts(queryset: Any, field: str) -> dict[str, int]:
    return {
        row[field]: row["count"]
        for row in queryset.values(field).annotate(count=Count("id")).order_by(field)
    }
