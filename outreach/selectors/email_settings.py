"""The workspace's sender settings, read one way: a read never writes a row."""

from __future__ import annotations

import hashlib
import hmac

from outreach.mail_templates import Sender
from outreach.models import EmailSettings
from tenants.models import Workspace

WEBHOOK_USERNAME = "postmark"


def email_settings() -> EmailSettings:
    """The settings row, or blank settings when none was saved yet."""
    return EmailSettings.objects.filter(pk=1).first() or EmailSettings(pk=1)


def postal_address_missing() -> bool:
    return not email_settings().postal_address.strip()


def sender_of(workspace: Workspace) -> tuple[Sender, str]:
    """The workspace's sender facts and reply-to address."""
    settings_row = email_settings()
    return (
        Sender(workspace.name, settings_row.postal_address, workspace.url),
        settings_row.reply_to,
    )


def webhook_secret_digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def webhook_credentials_valid(*, username: str, password: str) -> bool:
    """Checked in the schema of the domain that received the call: another workspace's
    password is unknown here."""
    stored = email_settings().webhook_secret_hash
    if not stored or username != WEBHOOK_USERNAME:
        return False
    return hmac.compare_digest(stored, webhook_secret_digest(password))
