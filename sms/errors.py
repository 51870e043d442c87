"""The SMS app's domain errors (project.errors shapes them into the fixed JSON answer)."""

from __future__ import annotations

from project.errors import DomainError


class SmsProviderUnavailable(DomainError):
    code = "sms_provider_unavailable"
    status = 503
    default_message = (
        "Twilio did not answer, so the credentials could not be checked and nothing was "
        "saved. Try again in a minute."
    )


class SmsAccountMissing(DomainError):
    code = "not_found"
    status = 404
    default_message = "No Twilio account is connected; connect one with PUT /api/v1/sms/account."
