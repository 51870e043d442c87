"""The verbs the SMS app writes to the workspace's event log (crm.EventLog)."""

from __future__ import annotations

from enum import StrEnum


class SmsAccountEvent(StrEnum):
    CONNECTED = "sms_account_connected"
    UPDATED = "sms_account_updated"
    DISCONNECTED = "sms_account_disconnected"
