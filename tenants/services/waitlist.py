"""The waitlist on the public site: addresses that want to hear when paid plans open."""

from __future__ import annotations

import structlog
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django_tenants.utils import get_public_schema_name, schema_context

from project.errors import InvalidInput, field_error
from tenants.models import WaitlistEntry

log = structlog.get_logger(__name__)

EMAIL_MAX_LENGTH = 254


def checked_email(email: str, *, field: str = "email") -> str:
    """The address trimmed; raises InvalidInput (on `field`) unless it is one."""
    email = email.strip()
    try:
        if not email or len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("length")
        validate_email(email)
    except ValidationError:
        raise InvalidInput(
            details=[
                field_error(
                    field, "invalid_email", "Enter a valid email address, like you@example.com."
                )
            ]
        ) from None
    return email


def join_waitlist(*, email: str, ip: str | None = None) -> WaitlistEntry:
    """File the address once, whatever its letter case: joining again keeps the first
    entry and is no error, so the visitor sees the same confirmation. Holds under
    concurrency (the unique index on lower(email) decides). Raises InvalidInput."""
    email = checked_email(email)
    with schema_context(get_public_schema_name()), transaction.atomic():
        WaitlistEntry.objects.bulk_create(
            [WaitlistEntry(email=email, ip=ip)], ignore_conflicts=True
        )
        # lower(email) = lower(%s): the unique index answers it.
        entry = WaitlistEntry.objects.alias(email_lower=Lower("email")).get(
            email_lower=email.lower()
        )
    log.info("waitlist_joined", entry_id=entry.pk)
    return entry
