"""Changing a workspace's state after creation."""

from __future__ import annotations

import structlog
from django.db import transaction

from tenants.models import Workspace

log = structlog.get_logger(__name__)


@transaction.atomic
def set_workspace_status(*, workspace: Workspace, status: str) -> Workspace:
    """Suspend or reactivate a workspace; its hosts answer accordingly at once."""
    workspace.status = Workspace.Status(status)
    workspace.save(update_fields=["status"])
    log.info("workspace_status_changed", workspace_id=workspace.pk, status=status)
    return workspace
