"""Tag suggestions from the workspace's tag catalogue (crm.LeadTag), by prefix."""

from __future__ import annotations

from collections.abc import Iterable

from crm.models import LeadTag

SUGGESTED = 50


def tag_suggestions(
    prefix: str = "", *, exclude: Iterable[str] = (), limit: int = SUGGESTED
) -> list[str]:
    """Tags starting with `prefix`, alphabetically, without those in `exclude` (one index
    range scan on the catalogue)."""
    tags = LeadTag.objects.exclude(name__in=list(exclude))
    prefix = prefix.strip().lower()
    if prefix:
        tags = tags.filter(name__startswith=prefix)
    return list(tags.order_by("name").values_list("name", flat=True)[:limit])
