"""Every domain error outreach raises, with its stable code (the HTTP status comes from the
base class in project.errors)."""

from __future__ import annotations

from project.errors import Conflict, DomainError, NotFound


class CampaignNotReady(Conflict):
    code = "campaign_not_ready"


class CampaignStateConflict(Conflict):
    code = "invalid_campaign_state"


class CampaignNotEditable(Conflict):
    code = "campaign_not_editable"
    default_message = "Only a draft can be edited; duplicate it to change what is sent."


class CampaignInFlight(Conflict):
    code = "campaign_in_flight"
    default_message = "Email may still be in flight; cancel the campaign and wait, then delete it."


class EmailProviderError(DomainError):
    code = "email_provider_error"
    status = 502
    default_message = "The email provider did not take the email; try again in a minute."


class RecipientSuppressed(Conflict):
    code = "recipient_suppressed"


class UnknownMessage(NotFound):
    code = "unknown_message"
    default_message = "No message with this MessageID was sent from this workspace."
