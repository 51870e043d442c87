"""The tag catalogue (crm.LeadTag): every service that gives leads tags remembers them here
in its own transaction, and one that takes tags away forgets those no lead has any more.

The catalogue is for suggestions only; the lead's own `tags` column stays the truth (its GIN
index answers "who has this tag"). Reading distinct tags from the leads would unnest every
lead (hundreds of milliseconds at a million); the catalogue is a few hundred rows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from crm.models import Lead, LeadTag


def remember_tags(names: Iterable[str]) -> None:
    """Add these tags to the catalogue (those already there are left as they are)."""
    fresh = sorted({name for name in names if name})
    if fresh:
        LeadTag.objects.bulk_create([LeadTag(name=name) for name in fresh], ignore_conflicts=True)


def remember_tags_of_table(table: str) -> None:
    """Remember every tag of a table of rows with a `tags` column (an import's rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO crm_leadtag (name, created_at) SELECT DISTINCT tag, now() "  # noqa: S608
            f"FROM {connection.ops.quote_name(table)}, unnest(tags) AS tag "
            "ON CONFLICT (name) DO NOTHING"
        )


def forget_unused_tags(names: Iterable[str]) -> None:
    """Drop these tags from the catalogue unless a lead still has them (one index probe of
    the leads' tag index each)."""
    for name in sorted(set(names)):
        if not Lead.objects.filter(tags__contains=[name]).exists():
            LeadTag.objects.filter(name=name).delete()
