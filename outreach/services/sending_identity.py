"""The workspace's sending identity: its From name and address, and its own sending domain
registered with Postmark (Domains API), with the DNS records to add and their verification.

Postmark is called before anything is written and outside any transaction; a row is written
only with what Postmark answered, so a refusal or an outage leaves nothing half-saved.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.services.events import diff, record_event, snapshot
from mail import sending_domains
from mail.gateway import one_line
from outreach.errors import (
    DomainProviderUnavailable,
    NoSendingDomain,
    SendingDomainExists,
    SendingDomainRefused,
    SendingDomainsUnavailable,
)
from outreach.events import EmailSettingsEvent, SendingDomainEvent
from outreach.models import EmailSettings, SendingDomain
from project.errors import InvalidInput, field_error

log = structlog.get_logger(__name__)

SENDER_FIELDS = ["from_name", "from_email"]
DOMAIN_FIELDS = ["name", "dkim_verified", "return_path_verified"]
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TOP_LEVEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# The Return-Path subdomain goes in front of the name, and the whole must stay a hostname.
MAX_DOMAIN = 253 - len(sending_domains.RETURN_PATH_LABEL) - 1


@transaction.atomic
def update_sender(*, actor: User | None, from_name: str, from_email: str) -> EmailSettings:
    """Set the From name (empty: the workspace's name) and the From address (admins and
    owners); 422 names the field that is wrong."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    name, address = one_line(from_name or ""), (from_email or "").strip()
    errors = []
    if len(name) > 100:
        errors.append(field_error("from_name", "too_long", "Use at most 100 characters."))
    if address:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(field_error("from_email", "invalid_email", "Enter a valid address."))
    if errors:
        raise InvalidInput(details=errors)
    row = EmailSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before = snapshot(row, SENDER_FIELDS)
    row.from_name, row.from_email = name, address
    row.save(update_fields=[*SENDER_FIELDS, "updated_at"])
    changed = diff(before, snapshot(row, SENDER_FIELDS))
    if changed:
        record_event(actor=actor, verb=EmailSettingsEvent.SENDER_UPDATED, obj=row, changes=changed)
    return row


def clean_domain_name(raw: str) -> str:
    """The domain as Postmark takes it (lower case, IDNA), or 422 saying what is wrong."""
    name = (raw or "").strip().lower().rstrip(".")
    if "@" in name:
        name = name.rpartition("@")[2]

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, details=[field_error("domain", "invalid_domain", message)])

    if not name:
        raise refuse("Enter the domain your email address is on, such as yourstudio.com.")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise refuse(f"“{raw.strip()}” is not a domain name.") from None
    labels = name.split(".")
    if (
        len(name) > MAX_DOMAIN
        or len(labels) < 2
        or not all(LABEL.match(label) for label in labels)
        or not TOP_LEVEL.match(labels[-1])
    ):
        raise refuse(f"“{raw.strip()}” is not a domain name. Enter one like yourstudio.com.")
    platform = str(settings.CRM_BASE_DOMAIN).lower()
    if name == platform or name.endswith(f".{platform}"):
        raise refuse(f"{name} is this platform's own domain. Enter a domain you own.")
    return name


def _provider_refusal(name: str, error: sending_domains.DomainRefused) -> InvalidInput:
    message = f"Postmark did not accept {name}: {error}"
    return SendingDomainRefused(message, details=[field_error("domain", "domain_refused", message)])


def register_sending_domain(*, actor: User | None, domain: str) -> SendingDomain:
    """Register the workspace's own domain with Postmark and keep the DNS records it needs
    (422 an invalid or refused domain, 409 one already registered, 502 Postmark down, 503
    no account token on this installation)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    name = clean_domain_name(domain)
    if not sending_domains.configured():
        raise SendingDomainsUnavailable()
    if SendingDomain.objects.exists():
        raise SendingDomainExists("Remove the domain registered now before adding another.")
    try:
        records = sending_domains.create_domain(name)
    except sending_domains.DomainRefused as error:
        raise _provider_refusal(name, error) from None
    except sending_domains.DomainApiUnavailable:
        raise DomainProviderUnavailable(
            f"Postmark did not answer, so {name} is not registered. Try again in a minute."
        ) from None
    try:
        with transaction.atomic():
            row = SendingDomain.objects.create(pk=1, **_record_fields(records))
            record_event(
                actor=actor,
                verb=SendingDomainEvent.REGISTERED,
                obj=row,
                changes={"name": {"before": None, "after": name}},
            )
    except IntegrityError:  # another registration of this workspace won the race
        _take_back(records.postmark_id)
        raise SendingDomainExists("A domain was registered at the same moment.") from None
    except Exception:
        _take_back(records.postmark_id)
        raise
    return row


def _take_back(postmark_id: int) -> None:
    """Postmark has a domain this workspace could not keep: remove it there too, so that a
    retry is not refused as a duplicate (best effort; an orphan is logged)."""
    try:
        sending_domains.delete_domain(postmark_id)
    except sending_domains.DomainApiError:
        log.warning("sending_domain_orphaned", postmark_id=postmark_id)


def _record_fields(records: sending_domains.DomainRecords) -> dict[str, Any]:
    return {
        "name": records.name.lower(),
        "postmark_id": records.postmark_id,
        "dkim_host": records.dkim_host,
        "dkim_value": records.dkim_value,
        "dkim_verified": records.dkim_verified,
        "return_path_host": records.return_path_host,
        "return_path_value": records.return_path_value,
        "return_path_verified": records.return_path_verified,
    }


def verify_sending_domain(*, actor: User | None) -> SendingDomain:
    """Ask Postmark to look up the domain's DKIM and Return-Path records now, and keep what
    it found (404 no domain, 502 Postmark down: the last result stays as it was)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    current = SendingDomain.objects.filter(pk=1).first()
    if current is None:
        raise NoSendingDomain()
    if not sending_domains.configured():
        raise SendingDomainsUnavailable()
    try:
        records = sending_domains.verify_domain(current.postmark_id)
    except sending_domains.DomainRefused as error:
        raise _provider_refusal(current.name, error) from None
    except sending_domains.DomainApiUnavailable:
        raise DomainProviderUnavailable() from None
    with transaction.atomic():
        row = SendingDomain.objects.select_for_update().filter(pk=1).first()
        if row is None or row.postmark_id != records.postmark_id:
            raise NoSendingDomain("The domain was removed while Postmark was asked.")
        before = snapshot(row, DOMAIN_FIELDS)
        for name, value in _record_fields(records).items():
            setattr(row, name, value)
        row.checked_at = timezone.now()
        row.save()
        record_event(
            actor=actor,
            verb=SendingDomainEvent.CHECKED,
            obj=row,
            changes=diff(before, snapshot(row, DOMAIN_FIELDS)),
        )
    return row


def remove_sending_domain(*, actor: User | None) -> str:
    """Remove the domain here and at Postmark; email goes from the platform's address again.
    Returns the domain's name (404 none registered, 502 Postmark down: nothing removed)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    current = SendingDomain.objects.filter(pk=1).first()
    if current is None:
        raise NoSendingDomain()
    if sending_domains.configured():
        try:
            sending_domains.delete_domain(current.postmark_id)
        except sending_domains.DomainRefused as error:
            raise _provider_refusal(current.name, error) from None
        except sending_domains.DomainApiUnavailable:
            raise DomainProviderUnavailable(
                f"Postmark did not answer, so {current.name} is still registered."
            ) from None
    with transaction.atomic():
        row = SendingDomain.objects.select_for_update().filter(pk=1).first()
        if row is not None:
            record_event(
                actor=actor,
                verb=SendingDomainEvent.REMOVED,
                obj=row,
                changes={"name": {"before": row.name, "after": None}},
            )
            row.delete()
    return current.name
