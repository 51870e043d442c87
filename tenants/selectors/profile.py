"""Reads of a workspace's profile."""

from __future__ import annotations

from tenants.models import Workspace, WorkspaceLogo


def workspace_logo(workspace: Workspace) -> WorkspaceLogo | None:
    return WorkspaceLogo.objects.filter(workspace_id=workspace.pk).first()
