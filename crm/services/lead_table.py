"""A member's own choice of the leads table's columns."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from crm.models import LeadTableColumns
from crm.selectors.lead_table import available_columns, custom_field_definitions
from project.errors import InvalidInput, field_error


@transaction.atomic
def choose_lead_columns(*, actor: User, columns: list[str]) -> LeadTableColumns:
    """Remember the columns `actor` shows in the leads table (their own choice only, so no
    permission beyond being signed in); raises InvalidInput for a column that does not exist.
    A personal view setting, not business history: it writes no event."""
    known = {column.key for column in available_columns(custom_field_definitions())}
    unknown = [key for key in columns if key not in known]
    if unknown:
        raise InvalidInput(
            details=[field_error("columns", "unknown_column", f"No column named {unknown[0]}.")]
        )
    choice, _ = LeadTableColumns.objects.update_or_create(
        user=actor, defaults={"columns": sorted(set(columns))}
    )
    return choice
