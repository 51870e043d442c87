"""/api/v1/sms/account: the workspace's own Twilio account (admins and owners).

Secrets go in and never come out again: answers show only their last four characters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from accounts.authentication import acting_user
from accounts.permissions import Action, require
from sms.errors import SmsAccountMissing
from sms.models import MAX_SEND_RATE, SmsAccount
from sms.selectors.account import sms_account
from sms.services.account import SmsAccountInput, connect_sms_account, disconnect_sms_account

router = Router(tags=["sms"])

Sid = Annotated[str, StringConstraints(max_length=34)]
Secret = Annotated[str, StringConstraints(max_length=128)]


class SmsAccountOut(Schema):
    account_sid: str
    friendly_name: str
    auth_token_last4: str | None
    api_key_sid: str | None
    api_key_secret_last4: str | None
    phone_number: str | None
    messaging_service_sid: str | None
    send_rate: int
    help_text: str  # the answer to HELP; "" for the default naming the workspace
    callbacks_verifiable: bool  # Twilio signs callbacks with the auth token only
    verified_at: datetime
    updated_at: datetime


class SmsAccountIn(Schema):
    account_sid: Sid
    auth_token: Secret | None = None
    api_key_sid: Sid = ""
    api_key_secret: Secret | None = None
    phone_number: Annotated[str, StringConstraints(max_length=32)] = ""
    messaging_service_sid: Sid = ""
    send_rate: int = Field(1, ge=1, le=MAX_SEND_RATE)
    # Checked by the service (at most 320 characters), so the error names the field as it does.
    help_text: Annotated[str, StringConstraints(max_length=2000)] | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account_sid": "AC" + "0" * 32,
                    "auth_token": "your auth token",
                    "phone_number": "+14155550123",
                    "send_rate": 1,
                    "help_text": "Harbour Coaching: class reminders. Reply STOP to opt out.",
                }
            ]
        },
    )


def account_out(account: SmsAccount) -> dict[str, Any]:
    return {
        "account_sid": account.account_sid,
        "friendly_name": account.friendly_name,
        "auth_token_last4": account.auth_token_last4 or None,
        "api_key_sid": account.api_key_sid or None,
        "api_key_secret_last4": account.api_key_secret_last4 or None,
        "phone_number": account.phone_number or None,
        "messaging_service_sid": account.messaging_service_sid or None,
        "send_rate": account.send_rate,
        "help_text": account.help_text,
        "callbacks_verifiable": bool(account.auth_token_encrypted),
        "verified_at": account.verified_at,
        "updated_at": account.updated_at,
    }


@router.get("/account", response=SmsAccountOut)
def get_account(request: HttpRequest) -> dict[str, Any]:
    """The connected Twilio account; secrets show only their last four characters."""
    require(acting_user(request), Action.MANAGE_CAMPAIGNS)
    account = sms_account()
    if account is None:
        raise SmsAccountMissing()
    return account_out(account)


@router.put("/account", response=SmsAccountOut)
def put_account(request: HttpRequest, payload: SmsAccountIn) -> dict[str, Any]:
    """Connect or change the workspace's Twilio account. Twilio is asked first (a fetch of the
    account with each credential given): 422 names what it refused, 503 when it does not
    answer, and nothing is saved then. Leave a secret out to keep the stored one (same
    account SID and API key SID); send "" to remove it. One sender: `phone_number` (E.164)
    or `messaging_service_sid`."""
    account = connect_sms_account(
        actor=acting_user(request), data=SmsAccountInput(**payload.model_dump())
    )
    return account_out(account)


@router.delete("/account", response={204: None})
def delete_account(request: HttpRequest) -> Status:
    """Disconnect the Twilio account and forget its secrets."""
    disconnect_sms_account(actor=acting_user(request))
    return Status(204, None)
