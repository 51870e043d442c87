"""The workspace's Twilio account, read one way: a read never writes a row."""

from __future__ import annotations

from sms.gateway import TwilioCredentials
from sms.models import SmsAccount


def sms_account() -> SmsAccount | None:
    return SmsAccount.objects.filter(pk=1).first()


def credentials_of(account: SmsAccount) -> TwilioCredentials:
    """What calls authenticate with: the API key when there is one, else the auth token."""
    if account.api_key_sid and account.api_key_secret_encrypted:
        return TwilioCredentials(account.account_sid, account.api_key_sid, account.api_key_secret)
    return TwilioCredentials(account.account_sid, account.account_sid, account.auth_token)


def callback_token(account: SmsAccount) -> str:
    """The auth token Twilio signs callbacks with ("" when only an API key is stored)."""
    return account.auth_token
