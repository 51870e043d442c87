"""The workspace's sender settings and the Postmark webhook's credentials."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.services.events import diff, record_event, snapshot
from outreach.events import EmailSettingsEvent
from outreach.models import EmailSettings
from outreach.selectors.email_settings import WEBHOOK_USERNAME, webhook_secret_digest
from project.errors import InvalidInput, field_error
from tenants.schemas import current_workspace

SETTINGS_FIELDS = ["postal_address", "reply_to"]


@transaction.atomic
def update_email_settings(*, actor: User | None, changes: dict[str, Any]) -> EmailSettings:
    """Change the postal address or reply-to address (admins and owners)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    email_settings = EmailSettings.objects.select_for_update().get_or_create(pk=1)[0]
    errors = []
    if "postal_address" in changes:
        address = str(changes["postal_address"] or "").strip()
        if len(address) > 500:
            errors.append(field_error("postal_address", "too_long", "Use at most 500 characters."))
        changes["postal_address"] = address
    if "reply_to" in changes:
        reply_to = str(changes["reply_to"] or "").strip()
        if reply_to:
            try:
                validate_email(reply_to)
            except ValidationError:
                errors.append(
                    field_error("reply_to", "invalid_email", "Enter a valid email address.")
                )
        changes["reply_to"] = reply_to
    if errors:
        raise InvalidInput(details=errors)
    before = snapshot(email_settings, SETTINGS_FIELDS)
    for name in SETTINGS_FIELDS:
        if name in changes:
            setattr(email_settings, name, changes[name])
    email_settings.save()
    changed = diff(before, snapshot(email_settings, SETTINGS_FIELDS))
    if changed:
        record_event(
            actor=actor, verb=EmailSettingsEvent.UPDATED, obj=email_settings, changes=changed
        )
    return email_settings


@dataclass(frozen=True)
class WebhookCredentials:
    username: str
    password: str
    url: str


@transaction.atomic
def rotate_webhook_secret(*, actor: User | None) -> WebhookCredentials:
    """A new basic-auth password for Postmark's webhook, shown this once; the old one stops."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    email_settings = EmailSettings.objects.select_for_update().get_or_create(pk=1)[0]
    password = secrets.token_urlsafe(32)
    email_settings.webhook_secret_hash = webhook_secret_digest(password)
    email_settings.save(update_fields=["webhook_secret_hash", "updated_at"])
    record_event(actor=actor, verb=EmailSettingsEvent.WEBHOOK_SECRET_ROTATED, obj=email_settings)
    workspace = current_workspace()
    scheme, _, rest = workspace.url.partition("://")
    return WebhookCredentials(
        username=WEBHOOK_USERNAME,
        password=password,
        url=f"{scheme}://{WEBHOOK_USERNAME}:{password}@{rest}/webhooks/postmark",
    )
