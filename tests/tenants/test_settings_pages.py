"""The workspace's settings pages: the index, the profile (name, time zone, logo) and the
owner's danger zone, through the HTML test client."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts.models import ApiKey, AuditEvent, User
from accounts.services.api_auth import create_api_key
from tenants.models import Workspace, WorkspaceLogo
from tests.support.clients import add_member, sign_in_client
from tests.support.pages import page_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _profile(client, **fields):
    body = {"name": "Alpha Coaching", "time_zone": "UTC", **fields}
    return client.post("/settings/workspace/", body)


def test_the_settings_index_names_every_section_and_links_billing(two_workspaces):
    alpha, _ = two_workspaces

    text = page_text(alpha.signed_in_client().get("/settings/"))

    for section in (
        "Workspace profile",
        "Custom fields",
        "Pipeline stages",
        "API keys",
        "Email settings",
        "Sending identity",
        "Delete this workspace",
    ):
        assert section in text
    assert "Billing Your plan, trial, usage against each limit, and invoices." in text


def test_a_member_is_refused_settings_and_an_admin_sees_no_danger_zone(two_workspaces):
    alpha, _ = two_workspaces
    add_member(alpha.workspace, "member")
    add_member(alpha.workspace, "admin")
    member = sign_in_client(alpha.workspace, "member@alpha.example")
    admin = sign_in_client(alpha.workspace, "admin@alpha.example")

    for path in ("/settings/", "/settings/workspace/", "/settings/danger/"):
        response = member.get(path)
        assert response.status_code == 403, path
        assert "Not allowed" in page_text(response)
    assert "Delete this workspace" not in page_text(admin.get("/settings/"))
    assert admin.get("/settings/danger/").status_code == 403
    assert admin.get("/settings/workspace/").status_code == 200


def test_a_time_on_a_page_moves_with_the_workspace_time_zone(two_workspaces):
    alpha, beta = two_workspaces
    client = alpha.signed_in_client()
    with schema_context(alpha.workspace.schema_name):
        owner = User.objects.get(email=alpha.owner_email)
        key = create_api_key(actor=owner, name="Zapier").api_key
        ApiKey.objects.filter(pk=key.pk).update(
            last_used_at=datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        )
    assert "15 Jan 2026, 12:00" in page_text(client.get("/settings/api-keys/"))

    response = _profile(client, time_zone="Asia/Tokyo")

    assert response.status_code == 302
    text = page_text(client.get("/settings/api-keys/"))
    assert "15 Jan 2026, 21:00" in text
    assert "Times in Asia/Tokyo" in text
    assert "Times in UTC" in page_text(beta.signed_in_client().get("/settings/"))
    alpha.workspace.refresh_from_db()
    assert alpha.workspace.time_zone == "Asia/Tokyo"
    with schema_context(alpha.workspace.schema_name):
        event = AuditEvent.objects.get(action="workspace_profile_changed")
    assert event.details["after"] == {"name": "Alpha Coaching", "time_zone": "Asia/Tokyo"}


def test_an_unknown_time_zone_or_empty_name_is_shown_beside_its_field(two_workspaces):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    response = _profile(client, name=" ", time_zone="Mars/Olympus_Mons")

    assert response.status_code == 422
    text = page_text(response)
    assert "Select a valid choice" in text
    assert "This field is required" in text
    alpha.workspace.refresh_from_db()
    assert (alpha.workspace.name, alpha.workspace.time_zone) == ("Alpha Coaching", "UTC")


def test_a_logo_upload_is_served_on_its_own_domain_only(two_workspaces):
    alpha, beta = two_workspaces
    client = alpha.signed_in_client()

    response = _profile(client, logo=SimpleUploadedFile("logo.png", PNG, "image/png"))

    assert response.status_code == 302
    alpha.workspace.refresh_from_db()
    logo_url = alpha.workspace.logo_url
    assert logo_url and logo_url in client.get("/settings/").content.decode()
    served = client.get(logo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png" and served.content == PNG
    assert beta.signed_in_client().get(logo_url).status_code == 404

    removed = _profile(client, remove_logo="on")
    assert removed.status_code == 302
    alpha.workspace.refresh_from_db()
    assert alpha.workspace.logo_url == ""
    assert not WorkspaceLogo.objects.filter(workspace=alpha.workspace).exists()


def test_a_logo_that_is_not_an_image_changes_nothing(two_workspaces):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()
    script = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'></svg>", "image/svg+xml")

    response = _profile(client, name="Renamed", logo=script)

    assert response.status_code == 422
    assert "Upload a PNG, JPEG, GIF or WebP image." in page_text(response)
    alpha.workspace.refresh_from_db()
    assert alpha.workspace.name == "Alpha Coaching" and alpha.workspace.logo_hash == ""


def test_the_owner_deletes_the_workspace_only_by_typing_its_slug(make_workspace, client):
    doomed = make_workspace("doomed", "Doomed Ltd")
    owner = doomed.signed_in_client()

    page = owner.get("/settings/danger/")
    assert "Type doomed to confirm" in page_text(page)
    wrong = owner.post("/settings/danger/", {"confirm_slug": "Doomed"})
    assert wrong.status_code == 422
    assert "Type the workspace address (doomed) to confirm." in page_text(wrong)
    assert Workspace.objects.filter(slug="doomed").exists()

    done = owner.post("/settings/danger/", {"confirm_slug": "doomed"})

    assert done.status_code == 302 and done["Location"].startswith("http://localhost")
    assert not Workspace.objects.filter(slug="doomed").exists()
    assert doomed.client().get("/login/").status_code == 404
