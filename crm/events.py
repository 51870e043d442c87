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
