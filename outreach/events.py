"""The verbs outreach writes to the workspace's event log (crm.EventLog), in one place."""

from __future__ import annotations

from enum import StrEnum


class CampaignEvent(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    SCHEDULED = "scheduled"
    SEND_STARTED = "send_started"
    AUDIENCE_FROZEN = "audience_frozen"
    PAUSED = "paused"
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    SENT = "sent"
    TEST_SENT = "test_sent"


class LeadSmsEvent(StrEnum):
    """What happened to a lead's one-off text, on the lead's timeline."""

    QUEUED = "sms_queued"
    FAILED = "sms_failed"  # Twilio reported it undelivered or failed
    RECEIVED = "sms_received"  # the lead texted the workspace


class LeadEmailEvent(StrEnum):
    """What happened to a lead's email, on the lead's timeline."""

    QUEUED = "email_queued"
    DELIVERED = "email_delivered"
    BOUNCED = "email_bounced"
    COMPLAINED = "email_complaint"
    OPENED = "email_opened"
    CLICKED = "email_clicked"
    UNSUBSCRIBED = "unsubscribed"
    RESUBSCRIBED = "resubscribed"
    SUPPRESSED = "suppressed"


class EmailSettingsEvent(StrEnum):
    UPDATED = "updated"
    WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated"
    SENDER_UPDATED = "sender_updated"


class SendingDomainEvent(StrEnum):
    REGISTERED = "registered"
    CHECKED = "checked"
    REMOVED = "removed"
