"""The test send of an SMS campaign: the text as a lead would get it, now, to a number the
member types (their own phone), marked [Test]. Nothing is counted on leads or the plan."""

from __future__ import annotations

import structlog
from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.phone_numbers import UnusablePhoneNumber, normalise_phone
from crm.services.events import record_event
from mail.gateway import TransientSendError
from outreach.errors import (
    InvalidPhone,
    SmsNotConnected,
    SmsProviderRefused,
    SmsProviderUnavailable,
    WrongChannel,
)
from outreach.events import CampaignEvent
from outreach.models import Campaign
from outreach.selectors.sms_preview import preview_sms
from project.errors import NotFound, field_error
from sms.gateway import Sms, SmsRefused, send_sms
from sms.selectors.account import credentials_of, sms_account

log = structlog.get_logger()
TEST_PREFIX = "[Test] "


def send_campaign_test_sms(*, actor: User, campaign_id: int, to: str) -> str:
    """Text the campaign, as its first textable lead (or a sample lead) would get it with the
    opt-out line, to `to` now, prefixed "[Test] "; returns the number in E.164. 422
    invalid_phone for a number that is not one, 409 without a connected Twilio account, 422
    when Twilio refuses the text, 503 when it does not answer. Writes only the event."""
    require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    if campaign.channel != "sms":
        raise WrongChannel("This is an email campaign: its test goes to your email address.")
    try:
        number = normalise_phone(to)
    except UnusablePhoneNumber as error:
        raise InvalidPhone(
            str(error), details=[field_error("to", "invalid_phone", str(error))]
        ) from None
    if not number:
        message = "Type the number to text the test to, with its country code."
        raise InvalidPhone(message, details=[field_error("to", "required", message)])
    account = sms_account()
    if account is None:
        raise SmsNotConnected()
    preview = preview_sms(campaign.body_template, campaign.audience)
    try:
        sent = send_sms(
            credentials_of(account),
            Sms(
                to=number,
                body=f"{TEST_PREFIX}{preview.text}",
                from_number=account.phone_number,
                messaging_service_sid=account.messaging_service_sid,
            ),
        )
    except SmsRefused as error:
        if error.bad_credentials:
            raise SmsNotConnected(
                "Twilio did not accept the stored credentials: connect the account again "
                "in Settings → SMS, then send the test again."
            ) from None
        raise SmsProviderRefused(
            f"Twilio refused the test text (error {error.code}): {_refusal_hint(error)}",
            details=[field_error("to", "sms_refused", f"Twilio error {error.code}.")],
        ) from None
    except TransientSendError:
        raise SmsProviderUnavailable() from None
    with transaction.atomic():
        record_event(
            actor=actor,
            verb=CampaignEvent.TEST_SENT,
            obj=campaign,
            changes={"to": number, "channel": "sms", "provider_id": sent.sid},
        )
    log.info("campaign_test_sms_sent", campaign_id=campaign.pk, provider_id=sent.sid)
    return number


def _refusal_hint(error: SmsRefused) -> str:
    if error.recipient_opted_out:
        return "this number replied STOP to your Twilio number; text START from it first."
    if error.recipient_undeliverable:
        return "this number cannot take texts (a landline, or not a mobile number)."
    return "check the number, and your sender in Settings → SMS."
