"""The demo workspace's campaigns: a sender address, a draft email and a draft text."""

from __future__ import annotations

from django.db import transaction

from outreach.models import Campaign, EmailSettings

DEMO_CAMPAIGN_TEXT = """Hi {{ lead.first_name | default: "there" }},

The spring cohort of {{ workspace.name }} opens on Monday: twelve weeks, a small group and
a live call every Thursday.
{% if lead.company %}
Bring your team from {{ lead.company }}: groups of three get a fourth seat free.
{% endif %}
Reply to this email with any question.

Olivia
"""

DEMO_SMS_TEXT = (
    'Hi {{ lead.first_name | default: "there" }}, the spring cohort of {{ workspace.name }} '
    "opens Monday. Seats are limited: reply YES and we'll save you one."
)


@transaction.atomic
def seed_demo_email() -> None:
    """The demo's sender address and a draft campaign to the webinar crowd, once, so that a
    newcomer can preview, test-send and send at once (to the development outbox)."""
    email_settings = EmailSettings.objects.get_or_create(pk=1)[0]
    if not email_settings.postal_address:
        email_settings.postal_address = "Demo Coaching Co.\n1 Example Street\nSpringfield 01234"
        email_settings.save(update_fields=["postal_address", "updated_at"])
    if not Campaign.objects.exists():
        Campaign.objects.create(
            name="Spring cohort launch",
            subject='{{ lead.first_name | default: "Hi" }}, the spring cohort opens Monday',
            body_template=DEMO_CAMPAIGN_TEXT,
            audience={"tag": ["webinar"]},
        )
    if not Campaign.objects.filter(channel="sms").exists():
        # A text to the same crowd: the composer's count and the audience's segments show
        # at once (it sends once Settings -> SMS has a Twilio account).
        Campaign.objects.create(
            name="Spring cohort reminder (SMS)",
            channel="sms",
            body_template=DEMO_SMS_TEXT,
            audience={"tag": ["webinar"]},
        )
