from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin


class BillingStatus(models.TextChoices):
    """The workspace's standing with the platform, as billing last saw it."""

    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment failed"
    ENDED = "ended", "Subscription ended"
    FREE = "free", "Free plan"


class Workspace(TenantMixin):
    """One customer: a row here, a PostgreSQL schema of its own and one or more domains."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name: models.CharField[str, str] = models.CharField(max_length=100)
    slug: models.SlugField[str, str] = models.SlugField(max_length=40, unique=True)
    status: models.CharField[str, str] = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    # Campaign email per second; empty means the platform's CRM_EMAIL_SEND_RATE.
    email_send_rate: models.PositiveIntegerField[int | None, int | None] = (
        models.PositiveIntegerField(null=True, blank=True)
    )
    # An IANA zone name (tenants.time_zones); every page of the workspace shows times in it.
    time_zone: models.CharField[str, str] = models.CharField(max_length=64, default="UTC")
    # The uploaded logo's content hash (its bytes are in WorkspaceLogo); empty: no logo.
    logo_hash: models.CharField[str, str] = models.CharField(max_length=16, blank=True)

    # What the workspace's plan allows, copied here by billing whenever the plan or the
    # subscription changes, so every app checks a limit without a query (and crm without
    # importing billing). Empty means unlimited.
    seat_limit: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True, blank=True
    )
    lead_limit: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True, blank=True
    )
    monthly_email_limit: models.PositiveIntegerField[int | None, int | None] = (
        models.PositiveIntegerField(null=True, blank=True)
    )
    monthly_sms_segment_limit: models.PositiveIntegerField[int | None, int | None] = (
        models.PositiveIntegerField(null=True, blank=True)
    )
    billing_status: models.CharField[str, str] = models.CharField(
        max_length=16, choices=BillingStatus.choices, default=BillingStatus.TRIALING
    )
    # Set when a subscription ends: from then on the workspace is read-only (it can sign in,
    # see and export, never change or send) until it subscribes again. Never deleted.
    read_only_from: models.DateTimeField[Any, Any] = models.DateTimeField(null=True, blank=True)
    # A payment is credited to the last campaign whose email the lead clicked within this
    # many days before paying (Settings -> Workspace profile).
    attribution_window_days: models.PositiveSmallIntegerField[int, int] = (
        models.PositiveSmallIntegerField(default=7)
    )

    # Schemas are made by tenants.services.provisioning inside one transaction, never by save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_public(self) -> bool:
        return bool(self.schema_name == "public")

    @property
    def is_suspended(self) -> bool:
        return bool(self.status == self.Status.SUSPENDED)

    @property
    def is_read_only(self) -> bool:
        return self.read_only_from is not None and self.read_only_from <= timezone.now()

    @property
    def primary_host(self) -> str:
        return f"{self.slug}.{settings.CRM_BASE_DOMAIN}"

    @property
    def logo_url(self) -> str:
        """Where the workspace's own domain serves its logo; the hash makes it cacheable."""
        return f"/workspace-logo/{self.logo_hash}/" if self.logo_hash else ""

    @property
    def url(self) -> str:
        port = f":{settings.CRM_PUBLIC_PORT}" if settings.CRM_PUBLIC_PORT else ""
        return f"{settings.CRM_PUBLIC_SCHEME}://{self.primary_host}{port}"


class WorkspaceLogo(models.Model):
    """A workspace's logo image, kept apart from Workspace so that the cached host lookup
    never carries its bytes. Served by the workspace's own domain only."""

    workspace: models.OneToOneField[Workspace, Workspace] = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, primary_key=True, related_name="logo"
    )
    content_type: models.CharField[str, str] = models.CharField(max_length=32)
    content: models.BinaryField[bytes, bytes] = models.BinaryField()
    updated_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"logo of {self.workspace_id}"


class Domain(DomainMixin):
    """A host name that resolves to a workspace (lower case, no port)."""

    def __str__(self) -> str:
        return str(self.domain)


class WaitlistEntry(models.Model):
    """An address that asked to hear when paid plans open, once per address in any case."""

    email: models.EmailField[str, str] = models.EmailField(max_length=254)
    created: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)
    ip: models.GenericIPAddressField[str | None, str | None] = models.GenericIPAddressField(
        null=True, blank=True
    )

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="tenants_waitlist_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class MemberAddress(models.Model):
    """The public-schema directory of who has an active account where: one row per active
    account of every workspace, keyed by the SHA-256 of its lower-cased address (the public
    schema keeps no member address in the clear). "Find my workspace" is one probe of the
    hash index; accounts.services.member_directory writes it in the same transaction as
    each account change, and a workspace's rows go with it (CASCADE)."""

    workspace: models.ForeignKey[Workspace, Workspace] = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="member_addresses"
    )
    # The account's id in the workspace's own schema (no foreign key can cross schemas).
    user_id: models.BigIntegerField[int, int] = models.BigIntegerField()
    email_hash: models.CharField[str, str] = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "user_id"], name="tenants_member_address_one_per_account"
            ),
        ]
        indexes = [models.Index(fields=["email_hash"], name="tenants_member_email_hash")]

    def __str__(self) -> str:
        return f"{self.workspace_id}:{self.user_id}"

    @staticmethod
    def hash_of(email: str) -> str:
        """The key an address is filed under: SHA-256 of it trimmed and lower-cased, as
        sign-in compares addresses (lower(email))."""
        return hashlib.sha256(email.strip().lower().encode()).hexdigest()
