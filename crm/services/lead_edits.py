"""Changes a lead's page makes a piece at a time: a tag added or removed, custom fields set.

Each locks the lead, works out the whole new value from the row as it is now (so two people
tagging the same lead at once both keep their tag) and saves it through update_lead, the
service the API's PATCH uses: the same checks, the same event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.models import Lead
from crm.services.leads import update_lead
from project.errors import NotFound


def _locked(lead_id: int) -> Lead:
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("No lead with this id.")
    return lead


@transaction.atomic
def change_lead_tags(
    *, actor: User | None, lead_id: int, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> Lead:
    """Add and remove tags (case-insensitive); raises NotFound or InvalidInput (`tags`)."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    lead = _locked(lead_id)
    gone = {tag.strip().lower() for tag in remove}
    tags = [tag for tag in lead.tags if tag not in gone] + [str(tag) for tag in add]
    return update_lead(actor=actor, lead_id=lead_id, changes={"tags": tags})


@transaction.atomic
def set_lead_custom_fields(*, actor: User | None, lead_id: int, values: dict[str, Any]) -> Lead:
    """Set the custom fields given (None clears one); the others keep their values. Raises
    NotFound, or InvalidInput naming each bad field (`custom_fields.<key>`)."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    lead = _locked(lead_id)
    merged = {**lead.custom_fields, **values}
    kept = {key: value for key, value in merged.items() if value is not None}
    return update_lead(actor=actor, lead_id=lead_id, changes={"custom_fields": kept})
