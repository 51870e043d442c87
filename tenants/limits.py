"""What a workspace uses of its plan's limits, read in its own schema.

A placeholder of the limits helper's module: only the monthly email read that Settings ->
Billing shows; the limits work (issue 11, item 4) owns and replaces this file.
"""

from __future__ import annotations

from django.utils import timezone

from crm.models import Message


def emails_sent_this_month() -> int:
    """Outbound emails sent since the start of this calendar month (UTC), in the current
    workspace schema."""
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Message.objects.filter(
        channel=Message.Channel.EMAIL,
        direction=Message.Direction.OUTBOUND,
        sent_at__gte=start,
    ).count()
