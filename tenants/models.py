from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


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
