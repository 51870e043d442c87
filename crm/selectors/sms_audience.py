"""Who may be texted: the SMS audience the campaigns of the SMS channel freeze."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Lead
from crm.phone_numbers import E164_PATTERN
from crm.selectors.leads import LeadFilter, filter_leads


def textable_leads() -> QuerySet[Lead]:
    """Leads that may get marketing texts at all: opted in to SMS, a number in E.164 (every
    number written since it was validated; one typed before and never corrected is not),
    and no permanent delivery failure on it. Email consent and unsubscribes play no part."""
    return Lead.objects.filter(
        sms_consent=Lead.SmsConsent.OPTED_IN,
        sms_undeliverable_at__isnull=True,
        phone__regex=E164_PATTERN,
    )


def sms_audience_leads(criteria: LeadFilter) -> QuerySet[Lead]:
    """The leads a filter picks that an SMS campaign may text now."""
    return filter_leads(criteria) & textable_leads()
