"""Which campaign brought a payment: the last one whose email the lead clicked within the
workspace's attribution window before paying."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm.models import Message
from tenants.schemas import current_workspace


def attributed_campaign_id(*, lead_id: int, paid_at: datetime) -> int | None:
    """The campaign to credit, or None when the lead clicked no campaign email in the
    window (clicks after the payment do not count). Reads the lead's own messages only."""
    window = timedelta(days=current_workspace().attribution_window_days)
    return (
        Message.objects.filter(
            lead_id=lead_id,
            campaign__isnull=False,
            clicked_at__gte=paid_at - window,
            clicked_at__lte=paid_at,
        )
        .order_by("-clicked_at", "-id")
        .values_list("campaign_id", flat=True)
        .first()
    )
