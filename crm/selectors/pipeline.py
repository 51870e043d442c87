"""The pipeline board: a column per stage with its exact count and its newest leads.

Nothing here reads every lead: the counts are one grouped index-only scan, and each column
is one keyset page on the (stage, created_at, id) index, so the board costs the same few
statements at 100 leads and at a million.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from crm.models import Lead, PipelineStage
from crm.selectors.analytics import lead_totals
from crm.selectors.catalog import pipeline_stages
from crm.selectors.leads import LeadFilter, filter_leads
from crm.selectors.pagination import Page, paginate

CARDS_PER_COLUMN = 20
NO_STAGE = "none"  # the column key of leads without a stage


@dataclass(frozen=True)
class BoardFilter:
    owner: int | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Column:
    stage: PipelineStage | None  # None: the leads without a stage
    count: int
    cards: list[Lead]
    next: str | None

    @property
    def key(self) -> str:
        return str(self.stage.pk) if self.stage else NO_STAGE

    @property
    def name(self) -> str:
        return self.stage.name if self.stage else "No stage"


def board_leads(criteria: BoardFilter) -> QuerySet[Lead]:
    return filter_leads(
        LeadFilter(owner=criteria.owner, tag=[criteria.tag] if criteria.tag else None)
    )


def stage_counts(criteria: BoardFilter) -> dict[int | None, int]:
    """Exact lead counts per stage id (None: no stage). The whole board reads the stage tally
    the database keeps in the same transaction as every change of a lead (a few hundred
    rows, whatever the number of leads); a filtered board counts its leads in one grouped
    index-only scan."""
    if criteria.owner is None and not criteria.tag:
        return {stage_id or None: n for stage_id, n in lead_totals()["by_stage"].items() if n}
    rows = board_leads(criteria).order_by().values("stage_id").annotate(count=Count("*"))
    return {row["stage_id"]: row["count"] for row in rows}


def column_page(
    criteria: BoardFilter, *, stage_id: int | None, cursor: str | None, limit: int
) -> Page:
    """One page of a column's cards, newest first; raises MalformedCursor for a bad cursor."""
    leads = board_leads(criteria)
    leads = (
        leads.filter(stage__isnull=True) if stage_id is None else leads.filter(stage_id=stage_id)
    )
    return paginate(leads.select_related("owner"), sort="-created_at", limit=limit, cursor=cursor)


def pipeline_board(
    criteria: BoardFilter,
    *,
    limit: int = CARDS_PER_COLUMN,
    stages: list[PipelineStage] | None = None,
) -> list[Column]:
    """The columns in pipeline order. Leads without a stage get a first "No stage" column,
    shown only while it holds any, so that they can be dragged into the pipeline."""
    counts = stage_counts(criteria)
    columns: list[Column] = []
    shown: list[PipelineStage | None] = list(pipeline_stages() if stages is None else stages)
    if counts.get(None):
        shown.insert(0, None)
    for stage in shown:
        stage_id = stage.pk if stage else None
        count = counts.get(stage_id, 0)
        if count:
            found = column_page(criteria, stage_id=stage_id, cursor=None, limit=limit)
            columns.append(Column(stage, count, found.items, found.next))
        else:  # an empty column needs no statement of its own
            columns.append(Column(stage, 0, [], None))
    return columns


def find_stage(stage_id: int) -> PipelineStage | None:
    return PipelineStage.objects.filter(pk=stage_id).first()
