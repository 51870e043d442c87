"""/api/v1/analytics: the numbers a coach looks at on Monday morning."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from crm.selectors.analytics import summary
from project.inputs import StorableDatetime

router = Router(tags=["analytics"])


class SummaryParams(Schema):
    since: StorableDatetime | None = None
    until: StorableDatetime | None = None
    period: Literal["day", "week", "month"] = "day"


@router.get("/summary")
def get_summary(request: HttpRequest, params: Query[SummaryParams]) -> dict[str, Any]:
    """Lead counts by period, source, stage and status; conversion rate; message volumes."""
    return summary(since=params.since, until=params.until, period=params.period)
