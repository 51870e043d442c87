"""A read-only workspace (its subscription ended, the grace period is over): it signs in,
reads and exports; every change is refused with 402 `workspace_read_only`; it sends
nothing: campaigns are refused or paused, the sweep starts none of its scheduled ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from mail.models import PendingSend
from outreach.delivery.sender import deliver
from outreach.models import Campaign
from outreach.services.campaign_sending import send_campaign
from tenants.errors import WorkspaceReadOnly
from tests.support.clients import OWNER_PASSWORD, api, patch, post
from tests.support.email import add_leads, campaign_row, ready_campaign
from tests.support.leads import body_of
from tests.support.limits import lead_total, make_read_only, refusal
from tests.support.pages import page_text


def test_reading_and_exporting_go_on(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)
    client = api(fixture)
    page = fixture.signed_in_client()
    make_read_only(fixture.workspace)

    listed = client.get("/api/v1/leads")
    exported = client.get("/api/v1/leads/export")
    leads_page = page.get("/leads/")
    csv_page = page.get("/leads/export/")

    assert listed.status_code == 200 and len(listed.json()["items"]) == 2
    assert exported.status_code == 200 and body_of(exported).count("\n") == 3
    assert leads_page.status_code == 200
    assert csv_page.status_code == 200 and "lead1@" in body_of(csv_page)


def test_every_api_change_is_402_and_writes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)
    client = api(fixture)
    make_read_only(fixture.workspace)

    created = post(client, "/api/v1/leads", {"email": "new@example.com"})
    changed = patch(client, f"/api/v1/leads/{lead_id}", {"first_name": "Changed"})
    deleted = client.delete(f"/api/v1/leads/{lead_id}")

    for response in (created, changed, deleted):
        error = refusal(response)
        assert error["code"] == "workspace_read_only"
        assert "subscribe again in Settings → Billing" in error["message"]
    assert lead_total(fixture.workspace) == 1
    assert client.get(f"/api/v1/leads/{lead_id}").json()["first_name"] == "Name0"


def test_a_page_change_shows_a_page_that_says_how_to_subscribe_again(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()
    make_read_only(fixture.workspace)

    whole = page.post("/leads/new/", {"email": "x@example.com", "status": "new", "source": "api"})
    fragment = page.post("/leads/new/", {"email": "x@example.com"}, HTTP_HX_REQUEST="true")

    assert whole.status_code == 402
    text = page_text(whole)
    assert "This workspace is read-only" in text
    assert "Everything is still here to see and export." in text
    assert b'href="/settings/billing/"' in whole.content
    assert "Choose a plan in Settings → Billing to carry on." in text  # the owner's next step
    assert refusal(fragment)["code"] == "workspace_read_only"  # htmx: a toast says it
    assert lead_total(fixture.workspace) == 0


def test_signing_in_and_out_and_api_tokens_still_work(make_workspace) -> None:
    fixture = make_workspace()
    make_read_only(fixture.workspace)
    browser = fixture.client()

    signed_in = browser.post(
        "/login/", {"email": fixture.owner_email, "password": fixture.owner_password}
    )
    signed_out = browser.post("/logout/")
    token = post(
        fixture.client(),
        "/api/v1/auth/token",
        {"email": fixture.owner_email, "password": OWNER_PASSWORD},
    )

    assert signed_in.status_code == 302
    assert signed_out.status_code == 302
    assert token.status_code == 200 and token.json()["access_token"]


@pytest.mark.parametrize("path", ["/settings/billing/", "/settings/billing/checkout/"])
def test_the_billing_pages_stay_open_so_the_owner_can_subscribe_again(
    make_workspace, path: str
) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()
    make_read_only(fixture.workspace)

    response = page.post(path, {})

    # Billing's own pages answer (404 until they exist); the read-only guard lets them by.
    assert response.status_code != 402


def test_the_send_services_refuse_and_the_engine_pauses_a_running_campaign(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, draft = ready_campaign(fixture, leads=2)
    _, running = ready_campaign(fixture, leads=0, name="Running")
    post(client, f"/api/v1/campaigns/{running['id']}/send", {})
    make_read_only(fixture.workspace)

    with schema_context(fixture.workspace.schema_name):
        from outreach.delivery import start_campaign

        with pytest.raises(WorkspaceReadOnly):
            send_campaign(actor=None, campaign_id=draft["id"])
        start_campaign(campaign_id=running["id"])
        run = deliver(campaign_id=running["id"])

    paused = campaign_row(fixture.workspace, running["id"])
    assert paused.status == Campaign.Status.PAUSED
    assert paused.last_error.startswith("Not started, nothing was sent: This workspace is")
    assert run.sent == 0 and postmark.received == []
    assert campaign_row(fixture.workspace, draft["id"]).status == "draft"


def test_a_campaign_caught_mid_send_pauses_before_its_next_batch(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    with schema_context(fixture.workspace.schema_name):
        from outreach.delivery import start_campaign

        start_campaign(campaign_id=campaign["id"])  # frozen: three messages queued
    make_read_only(fixture.workspace)

    with schema_context(fixture.workspace.schema_name):
        run = deliver(campaign_id=campaign["id"])

    row = campaign_row(fixture.workspace, campaign["id"])
    assert (run.outcome, run.sent) == ("read_only", 0)
    assert row.status == Campaign.Status.PAUSED and "read-only" in row.last_error
    assert postmark.received == []


def test_the_sweep_starts_no_scheduled_campaign_of_a_read_only_workspace(
    two_workspaces, postmark
) -> None:
    from outreach.delivery.sweep import sweep

    alpha, beta = two_workspaces
    due = []
    for fixture in (alpha, beta):
        client, campaign = ready_campaign(fixture, leads=1)
        at = (timezone.now() + timedelta(days=1)).isoformat()
        post(client, f"/api/v1/campaigns/{campaign['id']}/schedule", {"scheduled_at": at})
        due.append(campaign["id"])
    PendingSend.objects.update(
        due_at=timezone.now() - timedelta(minutes=5),
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    make_read_only(alpha.workspace)

    restarted = sweep()

    assert restarted == 1  # beta's only
    assert PendingSend.objects.get(workspace=alpha.workspace).heartbeat_at < timezone.now() - (
        timedelta(minutes=30)
    )
    assert campaign_row(alpha.workspace, due[0]).status == "scheduled"


def test_another_workspace_is_not_read_only_because_one_is(two_workspaces) -> None:
    alpha, beta = two_workspaces
    make_read_only(alpha.workspace)

    refused = post(api(alpha), "/api/v1/leads", {"email": "a@example.com"})
    created = post(api(beta), "/api/v1/leads", {"email": "a@example.com"})
    with_alpha_token = Client(
        HTTP_HOST=beta.host, HTTP_AUTHORIZATION=api(alpha).defaults["HTTP_AUTHORIZATION"]
    ).post("/api/v1/leads", {"email": "b@example.com"}, content_type="application/json")

    assert refusal(refused)["code"] == "workspace_read_only"
    assert created.status_code == 201
    assert with_alpha_token.status_code == 401
    assert (lead_total(alpha.workspace), lead_total(beta.workspace)) == (0, 1)


@pytest.mark.parametrize(
    "path", ["/webhooks/postmark", "/unsubscribe/not-a-token/", "/password-reset/"]
)
def test_provider_webhooks_unsubscribes_and_password_resets_pass_the_guard(
    make_workspace, path: str
) -> None:
    fixture = make_workspace()
    make_read_only(fixture.workspace)

    response = fixture.client().post(path, {})

    # Each answers for itself (a bad webhook password, an unknown link, a form to fill):
    # a lead can still unsubscribe and Postmark's reports are still recorded.
    assert response.status_code != 402
