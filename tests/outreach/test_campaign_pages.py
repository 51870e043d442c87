"""The campaign pages a coach uses in the browser (list, form, detail with its live
progress, actions) and the email settings page: what each shows, what each changes through
the services, who may do what, and that another workspace's campaign is 404 everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Lead, PipelineStage
from mail.models import OutboxEmail
from outreach.models import Campaign, EmailSettings
from tests.support.clients import add_member, sign_in_client
from tests.support.email import (
    add_leads,
    campaign_row,
    ready_campaign,
    run_jobs,
    set_postal_address,
)
from tests.support.pages import draft, page_text

FORM = {
    "name": "Spring cohort",
    "subject": "{{ lead.first_name | default: 'Hi' }}, doors open Monday",
    "body_template": "Hi {{ lead.first_name | default: 'there' }},\n\nDoors open Monday.",
    "html_template": "",
    "tags": "",
    "status": "",
    "source": "",
    "stage": "",
    "custom_field": "",
    "custom_value": "",
    "kept_criteria": "",
}


def member_client(fixture) -> Client:
    member = add_member(fixture.workspace, "member")
    return sign_in_client(fixture.workspace, member.email)


# --- What each page shows ---------------------------------------------------------------------


def test_each_page_renders_for_the_owner(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)
    client = fixture.signed_in_client()

    empty_list = client.get("/campaigns/")
    new_form = client.get("/campaigns/new/")
    campaign_id = draft(fixture)
    listed = client.get("/campaigns/")
    detail = client.get(f"/campaigns/{campaign_id}/")
    edit = client.get(f"/campaigns/{campaign_id}/edit/")
    email_settings = client.get("/settings/email/")
    home = client.get("/")

    assert empty_list.status_code == 200
    assert "No campaigns yet" in page_text(empty_list)
    assert "add your postal address in Email settings" in page_text(empty_list)
    assert new_form.status_code == 200
    assert "2 leads match now" in page_text(new_form)
    assert listed.status_code == 200
    assert "Spring cohort" in page_text(listed)
    assert "Draft" in page_text(listed)
    assert detail.status_code == 200
    detail_text = page_text(detail)
    assert "Send now" in detail_text and "Delete draft" in detail_text
    assert "Name0, doors open Monday" in detail_text  # the preview, as the first lead gets it
    assert 'sandbox=""' in detail.content.decode()
    assert "srcdoc=" in detail.content.decode()
    assert 'hx-trigger="every 2s"' not in detail.content.decode()  # a draft does not poll
    assert "add your postal address" in detail_text
    assert edit.status_code == 200
    assert 'value="Spring cohort"' in edit.content.decode()
    assert email_settings.status_code == 200
    assert "Postal address" in page_text(email_settings)
    assert 'href="/campaigns/"' in home.content.decode()
    assert 'href="/settings/"' in home.content.decode()  # the sidebar, for an owner


def test_list_shows_status_audience_and_rates(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client_api, campaign = ready_campaign(fixture, leads=4)
    client_api.post(f"/api/v1/campaigns/{campaign['id']}/send")
    run_jobs(fixture.workspace, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        Campaign.objects.filter(pk=campaign["id"]).update(opened_count=1, clicked_count=1)

    listed = fixture.signed_in_client().get("/campaigns/")

    row = re.search(
        r"<tr>\s*<td><a href=\"/campaigns/\d+/\">.*?</tr>", listed.content.decode(), re.S
    )
    assert row is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", row.group(0)).split())
    assert "Sent" in text
    assert " 4 " in f" {text} "  # audience and sent
    assert "25.0%" in text  # open and click rate: 1 of 4


# --- The form -----------------------------------------------------------------------------------


def test_owner_creates_a_campaign_with_the_form(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        stage = PipelineStage.objects.order_by("order").first()
        assert stage is not None
        CustomFieldDefinition.objects.create(key="plan", label="Plan", field_type="text")
        CustomFieldDefinition.objects.create(key="seats", label="Seats", field_type="number")
    client = fixture.signed_in_client()

    response = client.post(
        "/campaigns/new/",
        {
            **FORM,
            "tags": "Webinar, VIP",
            "status": "qualified",
            "source": "web_form",
            "stage": str(stage.pk),
            "custom_field": "seats",
            "custom_value": "3",
        },
    )

    assert response.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.status == "draft"
    assert campaign.body_template == FORM["body_template"]
    assert campaign.audience == {
        "tag": ["vip", "webinar"],
        "status": "qualified",
        "source": "web_form",
        "stage": stage.pk,
        "custom_fields": {"seats": 3},
    }
    detail = client.get(response["Location"])
    assert "Draft saved" in page_text(detail)


def test_template_syntax_error_shows_its_line_next_to_the_field(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    response = client.post(
        "/campaigns/new/",
        {**FORM, "body_template": "Hi,\n\nOur news:\n{% if lead.first_name %}no end"},
    )

    assert response.status_code == 422
    html = response.content.decode()
    body_field = re.search(
        r'<div class="field has-error">\s*<label for="id_body_template">.*?</div>', html, re.S
    )
    assert body_field is not None, html
    assert "line 4: {% if %} is never closed: add {% endif %}" in body_field.group(0)
    assert "{% if lead.first_name %}no end</textarea>" in html  # what was typed is kept
    with schema_context(fixture.workspace.schema_name):
        assert not Campaign.objects.exists()


def test_a_missing_name_and_a_bad_custom_value_are_shown_on_their_fields(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="seats", label="Seats", field_type="number")

    response = fixture.signed_in_client().post(
        "/campaigns/new/", {**FORM, "name": "", "custom_field": "seats", "custom_value": "many"}
    )

    assert response.status_code == 422
    text = page_text(response)
    assert "This field is required." in text
    assert "Give a number." in text


def test_editing_a_draft_keeps_criteria_set_through_the_api(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = draft(fixture, audience={"tag": ["webinar"], "q": "acme"})
    client = fixture.signed_in_client()
    edit = client.get(f"/campaigns/{campaign_id}/edit/")
    kept = re.search(r'name="kept_criteria" value="([^"]*)"', edit.content.decode())
    assert kept is not None

    response = client.post(
        f"/campaigns/{campaign_id}/edit/",
        {
            **FORM,
            "name": "Renamed",
            "tags": "vip",
            "kept_criteria": kept.group(1).replace("&quot;", '"'),
        },
    )

    assert response.status_code == 302
    assert "q" in page_text(edit) and "acme" in page_text(edit)
    campaign = campaign_row(fixture.workspace, campaign_id)
    assert campaign.name == "Renamed"
    assert campaign.audience == {"tag": ["vip"], "q": "acme"}


def test_a_campaign_past_draft_cannot_be_edited(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = draft(fixture)
    with schema_context(fixture.workspace.schema_name):
        Campaign.objects.filter(pk=campaign_id).update(status="sent")

    response = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/edit/")

    assert response.status_code == 409
    assert "only drafts can be edited" in page_text(response)


# --- The live audience count ---------------------------------------------------------------------


def test_live_count_follows_the_criteria(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 3, prefix="vip", tags=["vip"], status="qualified")
    add_leads(fixture.workspace, 2, prefix="other", tags=["other"])
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.filter(email="vip0@" + fixture.workspace.slug + ".example").update(
            unsubscribed_at=timezone.now()
        )
    client = fixture.signed_in_client()
    htmx = {"HTTP_HX_REQUEST": "true"}

    everyone = client.get("/campaigns/audience-count/", **htmx)
    vip = client.get("/campaigns/audience-count/", {"tags": "VIP"}, **htmx)
    vip_new = client.get("/campaigns/audience-count/", {"tags": "vip", "status": "new"}, **htmx)
    bad = client.get("/campaigns/audience-count/", {"status": "royalty"}, **htmx)

    assert everyone.status_code == 200
    assert page_text(everyone) == "4 leads match now"  # the unsubscribed lead never counts
    assert page_text(vip) == "2 leads match now"
    assert page_text(vip_new) == "0 leads match now"
    assert bad.status_code == 422
    assert "Status: Select a valid choice" in page_text(bad)


def test_live_count_of_a_signed_out_visitor_sends_the_page_to_sign_in(make_workspace) -> None:
    fixture = make_workspace()

    response = fixture.client().get(
        "/campaigns/audience-count/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://{fixture.host}/campaigns/new/",
    )

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=/campaigns/new/"


# --- Detail page actions --------------------------------------------------------------------------


def test_send_from_the_detail_page_and_watch_the_progress_reach_sent(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 3)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)
    client = fixture.signed_in_client()

    sent = client.post(f"/campaigns/{campaign_id}/send/")
    sending_page = client.get(f"/campaigns/{campaign_id}/")
    polled_while_sending = client.get(
        f"/campaigns/{campaign_id}/progress/?seen=sending", HTTP_HX_REQUEST="true"
    )
    run_jobs(fixture.workspace, campaign_id)
    polled_after = client.get(
        f"/campaigns/{campaign_id}/progress/?seen=sending", HTTP_HX_REQUEST="true"
    )

    assert sent.status_code == 302
    assert sent["Location"] == f"/campaigns/{campaign_id}/"
    assert campaign_row(fixture.workspace, campaign_id).status == "sent"
    assert "“Spring cohort” is on its way" in page_text(sending_page)
    assert 'hx-trigger="every 2s"' in sending_page.content.decode()
    assert "Pause" in page_text(sending_page)
    assert 'hx-trigger="every 2s"' in polled_while_sending.content.decode()
    assert 'id="campaign-status" hx-swap-oob' not in polled_while_sending.content.decode()
    after = polled_after.content.decode()
    assert polled_after.status_code == 200
    assert 'hx-trigger="every 2s"' not in after  # polling stops once it is sent
    assert 'data-status="sent"' in after
    assert 'id="campaign-status" hx-swap-oob="true"' in after  # the badge and buttons follow
    assert "Pause" not in page_text(polled_after)
    assert "100.0%" in page_text(polled_after)
    assert "3 accepted by Postmark" in page_text(polled_after)
    assert 'id="campaign-messages" class="table-scroll" hx-swap-oob="true"' in after
    assert f"lead2@{fixture.workspace.slug}.example" in after  # the table fills in as well
    assert sorted(postmark.accepted_to()) == [
        f"lead{i}@{fixture.workspace.slug}.example" for i in range(3)
    ]
    messages_page = page_text(client.get(f"/campaigns/{campaign_id}/?status=sent"))
    assert f"lead2@{fixture.workspace.slug}.example" in messages_page
    assert "No message has this status" in page_text(
        client.get(f"/campaigns/{campaign_id}/?status=bounced")
    )


def test_sending_without_a_postal_address_says_what_to_do(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    campaign_id = draft(fixture)

    response = fixture.signed_in_client().post(f"/campaigns/{campaign_id}/send/")

    assert response.status_code == 409
    text = page_text(response)
    assert "Add your postal address first" in text
    assert "Add your postal address in Email settings , then send again" in text
    assert campaign_row(fixture.workspace, campaign_id).status == "draft"


def test_schedule_takes_the_browsers_time_zone_then_cancel(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)
    client = fixture.signed_in_client()
    local = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0, tzinfo=None)

    scheduled = client.post(
        f"/campaigns/{campaign_id}/schedule/",
        {"scheduled_at": local.strftime("%Y-%m-%dT%H:%M"), "tz_offset": "-120"},  # UTC+2
    )
    in_the_past = client.post(
        f"/campaigns/{campaign_id}/schedule/",
        {"scheduled_at": "2020-01-01T09:00", "tz_offset": "0"},
    )
    empty = client.post(f"/campaigns/{campaign_id}/schedule/", {"scheduled_at": ""})
    cancelled = client.post(f"/campaigns/{campaign_id}/cancel/")

    assert scheduled.status_code == 302
    assert in_the_past.status_code == 422
    assert "Pick a time in the future" in page_text(in_the_past)
    assert empty.status_code == 422
    assert "Pick a date and time." in page_text(empty)
    assert cancelled.status_code == 302
    campaign = campaign_row(fixture.workspace, campaign_id)
    assert campaign.scheduled_at == local.replace(tzinfo=UTC) - timedelta(hours=2)
    assert campaign.status == "cancelled"


def test_pause_resume_and_a_refused_action_keep_the_page(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)
    client = fixture.signed_in_client()

    client.post(f"/campaigns/{campaign_id}/send/")
    paused = client.post(f"/campaigns/{campaign_id}/pause/")
    paused_page = client.get(f"/campaigns/{campaign_id}/")
    paused_again = client.post(f"/campaigns/{campaign_id}/pause/")
    resumed = client.post(f"/campaigns/{campaign_id}/resume/")
    unknown = client.post(f"/campaigns/{campaign_id}/launch/")

    assert paused.status_code == 302
    assert "Resume" in page_text(paused_page)
    assert 'hx-trigger="every 2s"' not in paused_page.content.decode()  # paused: no polling
    assert paused_again.status_code == 409
    assert "A paused campaign cannot be paused" in page_text(paused_again)
    assert resumed.status_code == 302
    assert unknown.status_code == 404
    assert campaign_row(fixture.workspace, campaign_id).status == "sending"


def test_send_a_test_to_me_and_delete_the_draft(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)
    client = fixture.signed_in_client()

    tested = client.post(f"/campaigns/{campaign_id}/test/")
    tested_page = client.get(f"/campaigns/{campaign_id}/")
    deleted = client.post(f"/campaigns/{campaign_id}/delete/")
    after = client.get("/campaigns/")

    assert tested.status_code == 302
    assert f"Test email sent to {fixture.owner_email}" in page_text(tested_page)
    with schema_context(fixture.workspace.schema_name):
        test_email = OutboxEmail.objects.get(to=fixture.owner_email, subject__startswith="[Test]")
    assert test_email.subject == "[Test] Name0, doors open Monday"
    assert deleted.status_code == 302
    assert deleted["Location"] == "/campaigns/"
    assert "“Spring cohort” is deleted." in page_text(after)
    with schema_context(fixture.workspace.schema_name):
        assert not Campaign.objects.exists()


# --- Email settings -------------------------------------------------------------------------------


def test_email_settings_save_the_address_and_show_a_webhook_password_once(
    make_workspace,
) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    saved = client.post(
        "/settings/email/",
        {"postal_address": "Alpha Coaching\n1 High Street", "reply_to": "hello@alpha.example"},
    )
    bad = client.post("/settings/email/", {"postal_address": "x", "reply_to": "not-an-address"})
    rotated = client.post("/settings/email/webhook-secret/")
    later = client.get("/settings/email/")

    assert saved.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        stored = EmailSettings.objects.get()
    assert stored.postal_address == "Alpha Coaching\n1 High Street"
    assert stored.reply_to == "hello@alpha.example"
    assert bad.status_code == 422
    assert "Enter a valid email address." in page_text(bad)
    assert rotated.status_code == 200
    password = re.search(r"<dt>Password</dt><dd><code>([^<]+)</code>", rotated.content.decode())
    assert password is not None
    assert f"http://postmark:{password.group(1)}@{fixture.host}:8000/webhooks/postmark" in (
        rotated.content.decode()
    )
    assert password.group(1) not in later.content.decode()
    assert "Set up" in page_text(later)


# --- Who may do what, and isolation ---------------------------------------------------------------


def test_member_sees_the_pages_but_every_change_is_refused(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)
    client = member_client(fixture)

    listed = client.get("/campaigns/")
    detail = client.get(f"/campaigns/{campaign_id}/")
    progress = client.get(f"/campaigns/{campaign_id}/progress/", HTTP_HX_REQUEST="true")
    count = client.get("/campaigns/audience-count/", HTTP_HX_REQUEST="true")
    new_form = client.get("/campaigns/new/")
    created = client.post("/campaigns/new/", FORM)
    edit = client.get(f"/campaigns/{campaign_id}/edit/")
    sent = client.post(f"/campaigns/{campaign_id}/send/")
    deleted = client.post(f"/campaigns/{campaign_id}/delete/")
    settings_page = client.get("/settings/email/")
    settings_saved = client.post("/settings/email/", {"postal_address": "", "reply_to": ""})
    rotated = client.post("/settings/email/webhook-secret/")

    assert listed.status_code == 200
    assert "Spring cohort" in page_text(listed)
    assert "New campaign" not in page_text(listed)
    assert 'href="/settings/email/"' not in listed.content.decode()
    assert detail.status_code == 200
    assert "Send now" not in page_text(detail)
    assert "only admins and the owner send or change campaigns" in page_text(detail)
    assert progress.status_code == 200
    assert count.status_code == 200
    for refused in (new_form, created, edit, settings_page, settings_saved, rotated):
        assert refused.status_code == 403
        assert "Not allowed" in page_text(refused)
    assert sent.status_code == 403
    assert "Your role (member) cannot manage campaigns." in page_text(sent)
    assert deleted.status_code == 403
    assert campaign_row(fixture.workspace, campaign_id).status == "draft"
    with schema_context(fixture.workspace.schema_name):
        assert EmailSettings.objects.get().postal_address  # unchanged
        assert Campaign.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/campaigns/{id}/"),
        ("get", "/campaigns/{id}/edit/"),
        ("post", "/campaigns/{id}/edit/"),
        ("get", "/campaigns/{id}/progress/"),
        ("post", "/campaigns/{id}/send/"),
        ("post", "/campaigns/{id}/schedule/"),
        ("post", "/campaigns/{id}/pause/"),
        ("post", "/campaigns/{id}/resume/"),
        ("post", "/campaigns/{id}/cancel/"),
        ("post", "/campaigns/{id}/test/"),
        ("post", "/campaigns/{id}/delete/"),
    ],
)
def test_another_workspaces_campaign_is_404_on_every_page(two_workspaces, method, path) -> None:
    alpha, beta = two_workspaces
    add_leads(alpha.workspace, 1)
    campaign_id = draft(alpha)
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = getattr(beta.signed_in_client(), method)(
        path.format(id=campaign_id), {**FORM, "scheduled_at": future} if method == "post" else {}
    )

    assert response.status_code == 404
    assert "Spring cohort" not in response.content.decode()
    assert campaign_row(alpha.workspace, campaign_id).status == "draft"
    assert campaign_row(alpha.workspace, campaign_id).name == "Spring cohort"


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/",
        "/campaigns/new/",
        "/campaigns/1/",
        "/campaigns/1/edit/",
        "/campaigns/1/progress/",
        "/campaigns/audience-count/",
        "/settings/email/",
    ],
)
def test_signed_out_visitor_is_sent_to_sign_in(make_workspace, path) -> None:
    response = make_workspace().client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


def test_signed_out_action_changes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_postal_address(fixture.workspace)
    campaign_id = draft(fixture)

    response = fixture.client().post(f"/campaigns/{campaign_id}/send/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert campaign_row(fixture.workspace, campaign_id).status == "draft"
