"""Every domain error outreach raises, with its stable code (the HTTP status comes from the
base class in project.errors)."""

from __future__ import annotations

from project.errors import Conflict, DomainError, InvalidInput, NotFound


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


class SendingDomainsUnavailable(DomainError):
    """This installation has no Postmark account token, so it registers no domains."""

    code = "sending_domains_unavailable"
    status = 503
    default_message = (
        "Your own sending domain cannot be set up on this installation yet: it has no "
        "Postmark account token. Email goes from the platform's address with your name."
    )


class SendingDomainRefused(InvalidInput):
    code = "sending_domain_refused"


class SendingDomainExists(Conflict):
    code = "sending_domain_exists"


class NoSendingDomain(NotFound):
    code = "no_sending_domain"
    default_message = "No sending domain is registered for this workspace."


class DomainProviderUnavailable(DomainError):
    code = "domain_provider_unavailable"
    status = 502
    default_message = "Postmark did not answer, so nothing changed. Try again in a minute."


class SmsNotConnected(Conflict):
    code = "sms_not_connected"
    default_message = (
        "No Twilio account is connected: connect one in Settings → SMS "
        "(or PUT /api/v1/sms/account), then send again."
    )


class RecipientNotTextable(Conflict):
    code = "recipient_not_textable"


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class WrongChannel(Conflict):
    code = "wrong_channel"


class SmsProviderRefused(DomainError):
    """Twilio refused the text (its error code is in the message); 422: change the input."""

    code = "sms_refused"
    status = 422


class SmsProviderUnavailable(DomainError):
    code = "sms_provider_unavailable"
    status = 503
    default_message = (
        "Twilio did not answer, so the test text may not have gone. Try again in a minute."
    )
