"""The verbs crm writes to the workspace's event log (crm.EventLog), in one place.

The event log is the business history of a workspace's objects (what a lead, a product or a
campaign went through), shown on timelines; outreach adds its own verbs (outreach.events).
Security facts (sign-ins, roles, keys, console actions) go to the audit log instead
(accounts.AuditEvent, see accounts.events)."""

from __future__ import annotations

from enum import StrEnum


class RecordEvent(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    REORDERED = "reordered"
    # SMS consent changed by the lead themselves (a keyword text), and the provider's verdict
    # on a number; a person's change through the API or the app is an UPDATED like any other.
    SMS_OPTED_OUT = "sms_opted_out"
    SMS_OPTED_IN = "sms_opted_in"
    SMS_UNDELIVERABLE = "sms_undeliverable"
    SMS_DELIVERABLE = "sms_deliverable"
