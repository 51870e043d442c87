"""A workspace's profile: its name, its time zone, its logo and its attribution window
(admins and the owner)."""

from __future__ import annotations

import hashlib

from django.db import transaction

from accounts.events import AuditAction
from accounts.models import User
from accounts.permissions import Action, require
from accounts.services.audit import record_audit_event
from project.errors import InvalidInput, field_error
from tenants.errors import LogoInvalid
from tenants.models import Workspace, WorkspaceLogo
from tenants.time_zones import is_time_zone

MAX_LOGO_BYTES = 512 * 1024
# How far back a payment looks for the campaign click that brought it (issue 11).
MIN_ATTRIBUTION_DAYS, MAX_ATTRIBUTION_DAYS = 1, 90
# Raster images only, recognised by their first bytes (never the name or the browser's
# word): an SVG can carry script, and the logo is served from the workspace's own origin.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def logo_content_type(content: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


@transaction.atomic
def update_workspace_profile(
    *,
    actor: User,
    workspace: Workspace,
    name: str,
    time_zone: str,
    attribution_window_days: int | None = None,
    ip: str | None = None,
) -> Workspace:
    """Rename the workspace, set its time zone (an IANA name) and, when given, its
    attribution window (1 to 90 days: a payment is credited to the last campaign the lead
    clicked within it, from the next payment on); every page of its domain shows times in
    that zone from the next request. Raises Forbidden, InvalidInput."""
    require(actor, Action.MANAGE_WORKSPACE)
    name = name.strip()
    errors = []
    if not name or len(name) > 100:
        errors.append(field_error("name", "invalid_length", "Give 1 to 100 characters."))
    if not is_time_zone(time_zone):
        errors.append(
            field_error(
                "time_zone",
                "unknown_time_zone",
                "Choose a time zone from the list, e.g. Europe/Paris.",
            )
        )
    if attribution_window_days is not None and not (
        MIN_ATTRIBUTION_DAYS <= attribution_window_days <= MAX_ATTRIBUTION_DAYS
    ):
        errors.append(
            field_error(
                "attribution_window_days",
                "out_of_range",
                f"Give a number of days from {MIN_ATTRIBUTION_DAYS} to {MAX_ATTRIBUTION_DAYS}.",
            )
        )
    if errors:
        raise InvalidInput(details=errors)
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    fields = ["name", "time_zone"]
    before: dict[str, object] = {"name": locked.name, "time_zone": locked.time_zone}
    after: dict[str, object] = {"name": name, "time_zone": time_zone}
    locked.name, locked.time_zone = name, time_zone
    if attribution_window_days is not None:
        fields.append("attribution_window_days")
        before["attribution_window_days"] = locked.attribution_window_days
        after["attribution_window_days"] = attribution_window_days
        locked.attribution_window_days = attribution_window_days
    locked.save(update_fields=fields)
    if before != after:
        record_audit_event(
            action=AuditAction.WORKSPACE_PROFILE_CHANGED,
            actor=actor,
            ip=ip,
            details={"before": before, "after": after},
        )
    return locked


@transaction.atomic
def set_workspace_logo(
    *, actor: User, workspace: Workspace, content: bytes, ip: str | None = None
) -> Workspace:
    """Store a PNG, JPEG, GIF or WebP logo of at most 512 KB for the workspace.
    Raises Forbidden, LogoInvalid."""
    require(actor, Action.MANAGE_WORKSPACE)
    content_type = logo_content_type(content)
    if len(content) > MAX_LOGO_BYTES:
        problem = "The logo is larger than 512 KB; choose a smaller image."
    elif content_type is None:
        problem = "Upload a PNG, JPEG, GIF or WebP image."
    else:
        problem = ""
    if problem or content_type is None:
        raise LogoInvalid(details=[field_error("logo", "logo_invalid", problem)])
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    WorkspaceLogo.objects.update_or_create(
        workspace=locked, defaults={"content": content, "content_type": content_type}
    )
    locked.logo_hash = hashlib.sha256(content).hexdigest()[:16]
    locked.save(update_fields=["logo_hash"])
    record_audit_event(
        action=AuditAction.WORKSPACE_LOGO_CHANGED,
        actor=actor,
        ip=ip,
        details={"logo": locked.logo_hash, "bytes": len(content)},
    )
    return locked


@transaction.atomic
def remove_workspace_logo(*, actor: User, workspace: Workspace, ip: str | None = None) -> Workspace:
    """Go back to the workspace's initial in place of a logo."""
    require(actor, Action.MANAGE_WORKSPACE)
    locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
    WorkspaceLogo.objects.filter(workspace=locked).delete()
    if locked.logo_hash:
        locked.logo_hash = ""
        locked.save(update_fields=["logo_hash"])
        record_audit_event(
            action=AuditAction.WORKSPACE_LOGO_CHANGED, actor=actor, ip=ip, details={"logo": None}
        )
    return locked
