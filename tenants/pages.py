"""The workspace's own settings pages on its domain: the settings index, the workspace
profile (name, time zone, logo, attribution window), the logo itself and the owner's danger zone."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from accounts.services.audit import client_ip
from project.errors import Forbidden, InvalidInput
from project.pages import add_domain_errors, page
from tenants.forms import DeleteWorkspaceForm, WorkspaceProfileForm
from tenants.middleware import apex_url
from tenants.models import Workspace
from tenants.selectors.profile import workspace_logo
from tenants.services.profile import (
    remove_workspace_logo,
    set_workspace_logo,
    update_workspace_profile,
)
from tenants.services.workspaces import delete_workspace
from tenants.time_zones import DEFAULT_TIME_ZONE

# Bigger uploads are refused before they are read whole (Django spools them to disk).
_LOGO_READ_LIMIT = 512 * 1024 + 1


def _back_to_settings(request: HttpRequest) -> tuple[str, str] | None:
    # Someone refused the settings is better served by the dashboard than by a way back.
    if not can(signed_in_user(request), Action.MANAGE_WORKSPACE):
        return None
    return ("/settings/", "Back to settings")


settings_page = page(back=_back_to_settings)


def _workspace(request: HttpRequest) -> Workspace:
    return request.tenant  # type: ignore[attr-defined]


@settings_page
def settings_index(request: HttpRequest) -> HttpResponse:
    """/settings/: every setting of the workspace, one card each (admins and owners)."""
    actor = signed_in_user(request)
    if not can(actor, Action.MANAGE_WORKSPACE):
        raise Forbidden("Only admins and owners change the workspace's settings. Ask one of them.")
    return render(
        request,
        "settings/index.html",
        {
            "can_delete": can(actor, Action.DELETE_WORKSPACE),
            "can_manage_billing": can(actor, Action.MANAGE_BILLING),
        },
    )


@settings_page
def workspace_profile(request: HttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    if not can(actor, Action.MANAGE_WORKSPACE):
        raise Forbidden("Only admins and owners change the workspace's profile.")
    workspace = _workspace(request)
    initial = {
        "name": workspace.name,
        "time_zone": workspace.time_zone or DEFAULT_TIME_ZONE,
        "attribution_window_days": workspace.attribution_window_days,
    }
    form = WorkspaceProfileForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _save_profile(request, workspace, form)
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                messages.success(request, "Workspace profile saved.")
                return redirect("/settings/workspace/")
        status = 422
    return render(request, "settings/workspace.html", {"form": form}, status=status)


def _save_profile(request: HttpRequest, workspace: Workspace, form: WorkspaceProfileForm) -> None:
    actor, ip = signed_in_user(request), client_ip(request)
    upload = form.cleaned_data.get("logo")
    # Check the logo first: a refused image leaves the name and zone unchanged too.
    if upload:
        set_workspace_logo(
            actor=actor, workspace=workspace, content=upload.read(_LOGO_READ_LIMIT), ip=ip
        )
    elif form.cleaned_data.get("remove_logo"):
        remove_workspace_logo(actor=actor, workspace=workspace, ip=ip)
    update_workspace_profile(
        actor=actor,
        workspace=workspace,
        name=form.cleaned_data["name"],
        time_zone=form.cleaned_data["time_zone"],
        attribution_window_days=form.cleaned_data["attribution_window_days"],
        ip=ip,
    )


@require_GET
def logo(request: HttpRequest, logo_hash: str) -> HttpResponse:
    """The workspace's logo, on its own domain only; the hash in the path names one image,
    so browsers may keep it for a year."""
    workspace = _workspace(request)
    image = workspace_logo(workspace)
    if image is None or workspace.logo_hash != logo_hash:
        raise Http404("No such logo.")
    response = HttpResponse(bytes(image.content), content_type=image.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@settings_page
def danger_zone(request: HttpRequest) -> HttpResponse:
    """The owner deletes the workspace here, typing its address to confirm."""
    actor = signed_in_user(request)
    if not can(actor, Action.DELETE_WORKSPACE):
        raise Forbidden("Only the owner can delete the workspace.")
    workspace = _workspace(request)
    form = DeleteWorkspaceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                delete_workspace(
                    actor=actor, workspace=workspace, confirm_slug=form.cleaned_data["confirm_slug"]
                )
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                # The schema and its sessions are gone: nothing more may be written to them.
                return redirect(f"{apex_url()}/")
        status = 422
    return render(request, "settings/danger.html", {"form": form}, status=status)
