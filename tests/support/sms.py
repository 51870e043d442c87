"""SMS test setup: a workspace's Twilio account connected through the real service (checked
against the double), and leads that may be texted."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead
from sms.models import SmsAccount
from sms.services.account import SmsAccountInput, connect_sms_account
from tests.support.twilio_double import TwilioAccount, TwilioDouble

SENDER = "+14155550100"


def connect_twilio(
    workspace: Any, twilio: TwilioDouble, *, send_rate: int = 1000, **fields: Any
) -> tuple[TwilioAccount, SmsAccount]:
    """The workspace's own Twilio account at the double, connected as a member would."""
    account = twilio.add_account()
    with schema_context(workspace.schema_name):
        stored = connect_sms_account(
            actor=None,
            data=SmsAccountInput(
                account_sid=account.sid,
                auth_token=account.auth_token,
                phone_number=fields.pop("phone_number", SENDER),
                send_rate=send_rate,
                **fields,
            ),
        )
    return account, stored


def add_textable_leads(
    workspace: Any, count: int, *, prefix: str = "+1415555", start: int = 2000, **fields: Any
) -> list[int]:
    """Leads opted in to texts with valid US numbers (+1 415 555 2000, 2001, ...)."""
    defaults: dict[str, Any] = {
        "sms_consent": Lead.SmsConsent.OPTED_IN,
        "sms_consent_source": Lead.SmsConsentSource.WEB_FORM,
        "sms_consent_at": timezone.now(),
    }
    defaults.update(fields)
    if defaults["sms_consent"] == Lead.SmsConsent.OPTED_OUT:
        defaults.setdefault("sms_opted_out_at", timezone.now())
    with schema_context(workspace.schema_name):
        leads = Lead.objects.bulk_create(
            [
                Lead(first_name=f"Name{i}", phone=f"{prefix}{start + i:04d}", **defaults)
                for i in range(count)
            ]
        )
    return [lead.pk for lead in leads]
