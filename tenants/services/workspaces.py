"""Changing a workspace's state after creation."""

from __future__ import annotations

import structlog
from django.db import connection, transaction

from accounts.models import User
from accounts.permissions import Action, require
from project.errors import field_error
from tenants.errors import ConfirmationMismatch
from tenants.models import Workspace
from tenants.schemas import use_public_schema

log = structlog.get_logger(__name__)


@transaction.atomic
def set_workspace_status(*, workspace: Workspace, status: str) -> Workspace:
    """Suspend or reactivate a workspace; its hosts answer accordingly at once."""
    workspace.status = Workspace.Status(status)
    workspace.save(update_fields=["status"])
    log.info("workspace_status_changed", workspace_id=workspace.pk, status=status)
    return workspace


@transaction.atomic
def delete_workspace(*, actor: User, workspace: Workspace, confirm_slug: str) -> None:
    """Delete the workspace, its schema and its domains for good (owner only).

    The caller must type the slug back, so a stray request cannot do it.
    """
    require(actor, Action.DELETE_WORKSPACE)
    if confirm_slug != workspace.slug:
        raise ConfirmationMismatch(
            details=[
                field_error(
                    "confirm_slug",
                    "confirmation_mismatch",
                    f"Type the workspace address ({workspace.slug}) to confirm.",
                )
            ]
        )
    schema_name = workspace.schema_name
    use_public_schema()
    with connection.cursor() as cursor:
        # Deferred foreign-key checks queued earlier in this transaction would block the
        # DROP SCHEMA ("pending trigger events"); run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Workspace.objects.filter(pk=workspace.pk).get().delete(force_drop=True)
    log.warning(
        "workspace_deleted", workspace_id=workspace.pk, schema=schema_name, actor_email=actor.email
    )
