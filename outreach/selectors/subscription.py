"""Whether a lead gets email, and why not: subscribed, unsubscribed (when and how), or
suppressed (a bounce, a complaint, Postmark or the team), with what that means."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm.models import EventLog, Lead
from outreach.events import LeadEmailEvent
from outreach.models import Campaign, Suppression
from outreach.selectors.audience import suppressions_with

VIA = {
    "page": "on the unsubscribe page",
    "one_click": "with the unsubscribe button of their mail app",
    "postmark": "through Postmark's unsubscribe link",
}
MEANING = {
    "subscribed": "Campaigns whose audience matches reach this lead, and you can email it here.",
    "unsubscribed": "No campaign reaches this lead and one-off emails are refused. Only the lead "
    "can subscribe again, from the link at the bottom of any email it got.",
    "suppressed": "This address cannot take email: no campaign reaches this lead and one-off "
    "emails are refused.",
    "no_email": "This lead has no email address, so no campaign reaches it. Add one to email it.",
}


@dataclass(frozen=True)
class SubscriptionState:
    state: str  # subscribed | unsubscribed | suppressed | no_email
    since: datetime | None = None
    how: str = ""  # how it unsubscribed, or why it is suppressed
    campaign: str = ""  # the campaign whose email carried the unsubscribe link

    @property
    def meaning(self) -> str:
        return MEANING[self.state]

    @property
    def can_email(self) -> bool:
        return self.state == "subscribed"


def _unsubscribe_event(lead: Lead) -> EventLog | None:
    return (
        EventLog.objects.filter(
            object_type="lead", object_id=lead.pk, verb=LeadEmailEvent.UNSUBSCRIBED
        )
        .order_by("-at", "-id")
        .first()
    )


def subscription_state(lead: Lead) -> SubscriptionState:
    """At most three indexed reads: the address's suppression, the unsubscribe event, the
    campaign it came from."""
    if not lead.email:
        return SubscriptionState("no_email")
    suppression = suppressions_with(lead.email).first()
    if suppression is not None and suppression.reason != Suppression.Reason.UNSUBSCRIBED:
        return SubscriptionState(
            "suppressed", since=suppression.created_at, how=suppression.get_reason_display()
        )
    if lead.unsubscribed_at is None and suppression is None:
        return SubscriptionState("subscribed")
    event = _unsubscribe_event(lead)
    changes = event.changes if event is not None else {}
    campaign_id = changes.get("campaign_id")
    campaign = (
        Campaign.objects.filter(pk=campaign_id).values_list("name", flat=True).first()
        if campaign_id
        else None
    )
    return SubscriptionState(
        "unsubscribed",
        since=lead.unsubscribed_at or (suppression.created_at if suppression else None),
        how=VIA.get(str(changes.get("via")), ""),
        campaign=campaign or "",
    )
