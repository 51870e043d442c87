"""Connecting the workspace's own Twilio account: checked with Twilio before anything is
saved, secrets encrypted at rest, every change in the event log (never a secret in it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.services.events import diff, record_event, snapshot
from mail.gateway import TransientSendError
from project.encryption import encrypt, last4
from project.errors import InvalidInput, field_error
from sms.errors import SmsAccountMissing, SmsProviderUnavailable
from sms.events import SmsAccountEvent
from sms.gateway import SmsRefused, TwilioAccountInfo, TwilioCredentials, check_credentials
from sms.models import MAX_SEND_RATE, SmsAccount
from sms.selectors.account import sms_account

ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")
API_KEY_SID = re.compile(r"SK[0-9a-f]{32}")
SERVICE_SID = re.compile(r"MG[0-9a-f]{32}")
SECRET = re.compile(r"[!-~]{16,128}")  # printable, no spaces: Twilio's are 32 characters
# What the event log keeps: never a secret, only the last four characters of each.
AUDITED_FIELDS = [
    "account_sid",
    "auth_token_last4",
    "api_key_sid",
    "api_key_secret_last4",
    "phone_number",
    "messaging_service_sid",
    "send_rate",
    "help_text",
]
HELP_TEXT_MAX = 320  # two segments of GSM-7: Twilio sends a longer answer, carriers may not


@dataclass(frozen=True)
class SmsAccountInput:
    """What a member typed. A secret left None keeps the stored one (same account SID, same
    API key SID), so changing the sender or rate does not need the token again; "" removes."""

    account_sid: str
    auth_token: str | None = None
    api_key_sid: str = ""
    api_key_secret: str | None = None
    phone_number: str = ""
    messaging_service_sid: str = ""
    send_rate: int = 1
    help_text: str | None = None  # what a lead who texts HELP gets; None keeps the stored one


def connect_sms_account(*, actor: User | None, data: SmsAccountInput) -> SmsAccount:
    """Save the workspace's Twilio account after Twilio accepted its credentials (a fetch of
    the account with each one given). 422 naming the field for bad input or credentials
    Twilio refuses, 503 when Twilio does not answer; nothing is saved either way."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    stored = sms_account()
    account_sid = data.account_sid.strip()
    api_key_sid = data.api_key_sid.strip()
    auth_token = _secret(
        data.auth_token,
        stored,
        keep=stored is not None and stored.account_sid == account_sid,
        field="auth_token",
    )
    api_key_secret = _secret(
        data.api_key_secret,
        stored,
        keep=stored is not None
        and stored.account_sid == account_sid
        and stored.api_key_sid == api_key_sid,
        field="api_key_secret",
    )
    phone_number = _validated(data, account_sid, api_key_sid, auth_token, api_key_secret)
    info = _checked_with_twilio(account_sid, auth_token, api_key_sid, api_key_secret)
    with transaction.atomic():
        account = SmsAccount.objects.select_for_update().filter(pk=1).first()
        created = account is None
        if account is None:
            account = SmsAccount(pk=1)
        before = snapshot(account, AUDITED_FIELDS)
        account.account_sid = account_sid
        account.auth_token_encrypted = encrypt(auth_token) if auth_token else ""
        account.auth_token_last4 = last4(auth_token) if auth_token else ""
        account.api_key_sid = api_key_sid
        account.api_key_secret_encrypted = encrypt(api_key_secret) if api_key_secret else ""
        account.api_key_secret_last4 = last4(api_key_secret) if api_key_secret else ""
        account.phone_number = phone_number
        account.messaging_service_sid = data.messaging_service_sid.strip()
        account.send_rate = data.send_rate
        if data.help_text is not None:
            account.help_text = data.help_text.strip()
        account.friendly_name = info.friendly_name[:200]
        account.verified_at = timezone.now()
        account.save()
        changed = diff({} if created else before, snapshot(account, AUDITED_FIELDS))
        if created or changed:
            record_event(
                actor=actor,
                verb=SmsAccountEvent.CONNECTED if created else SmsAccountEvent.UPDATED,
                obj=account,
                changes=changed,
            )
    return account


@transaction.atomic
def disconnect_sms_account(*, actor: User | None) -> None:
    """Forget the workspace's Twilio account and its secrets (404 when none is connected)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    account = SmsAccount.objects.select_for_update().filter(pk=1).first()
    if account is None:
        raise SmsAccountMissing()
    record_event(
        actor=actor,
        verb=SmsAccountEvent.DISCONNECTED,
        obj=account,
        changes={"account_sid": {"before": account.account_sid, "after": None}},
    )
    account.delete()


def _secret(value: str | None, stored: SmsAccount | None, *, keep: bool, field: str) -> str:
    if value is not None:
        return value.strip()
    if keep and stored is not None:
        return stored.auth_token if field == "auth_token" else stored.api_key_secret
    return ""


def _validated(
    data: SmsAccountInput, account_sid: str, api_key_sid: str, auth_token: str, api_key_secret: str
) -> str:
    """The sender's number in E.164 ("" for a messaging service); InvalidInput naming every
    field that is wrong."""
    errors = []
    if not ACCOUNT_SID.fullmatch(account_sid):
        errors.append(
            field_error(
                "account_sid",
                "invalid_account_sid",
                "An account SID is AC followed by 32 hex digits (Twilio console, Account info).",
            )
        )
    if auth_token and not SECRET.fullmatch(auth_token):
        errors.append(
            field_error("auth_token", "invalid_secret", "Paste the auth token as Twilio shows it.")
        )
    if api_key_sid and not API_KEY_SID.fullmatch(api_key_sid):
        errors.append(
            field_error(
                "api_key_sid",
                "invalid_api_key_sid",
                "An API key SID is SK followed by 32 hex digits.",
            )
        )
    if api_key_sid and not api_key_secret:
        errors.append(
            field_error("api_key_secret", "required", "Give the API key's secret with its SID.")
        )
    if api_key_secret and not api_key_sid:
        errors.append(
            field_error("api_key_sid", "required", "Give the API key's SID with its secret.")
        )
    if api_key_secret and not SECRET.fullmatch(api_key_secret):
        errors.append(
            field_error(
                "api_key_secret", "invalid_secret", "Paste the API key's secret as Twilio shows it."
            )
        )
    if not auth_token and not api_key_sid:
        errors.append(
            field_error(
                "auth_token",
                "credentials_required",
                "Give the auth token, or an API key SID and secret (or both).",
            )
        )
    phone_number = ""
    service = data.messaging_service_sid.strip()
    if bool(data.phone_number.strip()) == bool(service):
        errors.append(
            field_error(
                "phone_number",
                "one_sender_required",
                "Give exactly one sender: a phone number or a messaging service SID.",
            )
        )
    elif data.phone_number.strip():
        phone_number = _e164(data.phone_number.strip())
        if not phone_number:
            errors.append(
                field_error(
                    "phone_number",
                    "invalid_phone_number",
                    "Give the sender's number in international format, e.g. +14155550123.",
                )
            )
    elif not SERVICE_SID.fullmatch(service):
        errors.append(
            field_error(
                "messaging_service_sid",
                "invalid_messaging_service_sid",
                "A messaging service SID is MG followed by 32 hex digits.",
            )
        )
    if data.help_text is not None and len(data.help_text.strip()) > HELP_TEXT_MAX:
        errors.append(
            field_error(
                "help_text",
                "too_long",
                f"The HELP answer takes at most {HELP_TEXT_MAX} characters (two texts).",
            )
        )
    if not 1 <= data.send_rate <= MAX_SEND_RATE:
        errors.append(
            field_error(
                "send_rate",
                "out_of_range",
                f"Messages per second: from 1 to {MAX_SEND_RATE} (Twilio's rate for your sender).",
            )
        )
    if errors:
        raise InvalidInput(details=errors)
    return phone_number


def _e164(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _checked_with_twilio(
    account_sid: str, auth_token: str, api_key_sid: str, api_key_secret: str
) -> TwilioAccountInfo:
    """Fetch the account with each credential given; the first refusal names its field."""
    attempts = []
    if auth_token:
        attempts.append(
            (
                "auth_token",
                "account SID and auth token",
                TwilioCredentials(account_sid, account_sid, auth_token),
            )
        )
    if api_key_sid:
        attempts.append(
            (
                "api_key_secret",
                "API key SID and secret",
                TwilioCredentials(account_sid, api_key_sid, api_key_secret),
            )
        )
    info: TwilioAccountInfo | None = None
    for field, what, credentials in attempts:
        try:
            info = check_credentials(credentials)
        except SmsRefused as error:
            if error.bad_credentials:
                message = f"Twilio did not accept this {what}: check both and paste them again."
                code = "twilio_rejected_credentials"
            else:
                message = f"Twilio refused the account ({error.status}, error {error.code})."
                code = "twilio_refused"
            raise InvalidInput(details=[field_error(field, code, message)]) from None
        except TransientSendError:
            raise SmsProviderUnavailable() from None
        if info.status != "active":
            raise InvalidInput(
                details=[
                    field_error(
                        "account_sid",
                        "twilio_account_inactive",
                        f"This Twilio account is {info.status}: reactivate it in Twilio first.",
                    )
                ]
            )
    assert info is not None  # _validated made sure one credential is given
    return info
