"""Finding leads: every filter of the list API, each backed by an index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from crm.models import Lead, lead_search_expression
from crm.selectors.analytics import lead_totals
from project.errors import NotFound

# Each sort has an index on (field, id), scanned forwards or backwards (migration 0005).
SORTABLE_FIELDS = (
    "created_at",
    "updated_at",
    "last_name",
    "status",
    "stage_id",
    "owner_id",
    "last_contacted_at",
)
SORTS = tuple(sort for field in SORTABLE_FIELDS for sort in (field, f"-{field}"))
# A capped total: an exact count of a million rows costs ~80 ms on every view, and a broad
# search or tag 100-350 ms, so a list counts at most this many matches and says "more than"
# past it (the bulk confirmation counts exactly, once).
COUNT_CAP = 1_000


@dataclass(frozen=True)
class LeadFilter:
    tag: list[str] | None = None
    source: str | None = None
    status: str | None = None
    stage: int | None = None
    owner: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    has_email: bool | None = None
    sms_consent: str | None = None
    q: str | None = None
    custom_fields: dict[str, Any] | None = None  # each key equal to its value


def filter_leads(criteria: LeadFilter) -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if criteria.tag:
        leads = leads.filter(tags__contains=[tag.lower() for tag in criteria.tag])
    if criteria.source:
        leads = leads.filter(source=criteria.source)
    if criteria.status:
        leads = leads.filter(status=criteria.status)
    if criteria.stage is not None:
        leads = leads.filter(stage_id=criteria.stage)
    if criteria.owner is not None:
        leads = leads.filter(owner_id=criteria.owner)
    if criteria.created_after:
        leads = leads.filter(created_at__gte=criteria.created_after)
    if criteria.created_before:
        leads = leads.filter(created_at__lt=criteria.created_before)
    if criteria.updated_after:
        leads = leads.filter(updated_at__gte=criteria.updated_after)
    if criteria.updated_before:
        leads = leads.filter(updated_at__lt=criteria.updated_before)
    if criteria.has_email is not None:
        leads = leads.filter(email__isnull=not criteria.has_email)
    if criteria.sms_consent:
        leads = leads.filter(sms_consent=criteria.sms_consent)
    if criteria.custom_fields:
        leads = leads.filter(custom_fields__contains=criteria.custom_fields)
    if criteria.q and criteria.q.strip():
        # Same expression as the trigram index, so LIKE '%q%' is an index scan.
        leads = leads.alias(search=lead_search_expression()).filter(
            search__contains=criteria.q.strip().upper()
        )
    return leads


def count_matching(leads: QuerySet[Lead], *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many leads match: (count, whether it is exact). Every lead: the exact total from
    the stage tally the database keeps with each change (crm.LeadStageTally, a few hundred
    rows). A filter: at most `cap` + 1 rows are counted."""
    if not leads.query.where:
        return int(lead_totals()["total"]), True
    counted = leads.order_by()[: cap + 1].count()
    if counted <= cap:
        return counted, True
    return cap, False


def lead_table_name() -> str:
    """The leads table, for the platform's console figures across schemas."""
    return str(Lead._meta.db_table)


def count_leads() -> int:
    """Leads in the workspace the connection is on."""
    return Lead.objects.count()


def get_lead(lead_id: int) -> Lead:
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("No lead with this id.")
    return lead


def find_lead(lead_id: int) -> Lead | None:
    return Lead.objects.filter(pk=lead_id).first()
