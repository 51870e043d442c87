"""SMS campaigns in the editor and the API: the channel is chosen when the campaign is made
(Email or SMS), an SMS campaign has a message and no subject or HTML, the channel is fixed
once it leaves draft, the list shows each campaign's channel; the composer's count and
preview are rendered by the server; the audience panel says who can be texted, why the
others cannot, and the segments against the plan's month. Another workspace sees none of it."""

from __future__ import annotations

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead
from mail.models import EmailUsage
from outreach.models import Campaign
from outreach.selectors.sms_audience_summary import sms_audience_summary
from outreach.sms_segments import count_segments
from tenants.limits import this_month
from tests.support.clients import add_member, api, patch, post, sign_in_client
from tests.support.pages import page_text

SMS = {
    "name": "Spring texts",
    "channel": "sms",
    "body_template": "Hi {{ lead.first_name | default: 'there' }}, doors open Monday!",
    "audience": {},
}
FORM = {
    "channel": "sms",
    "name": "Spring texts",
    "body_template": "Hi {{ lead.first_name | default: 'there' }}, doors open Monday!",
    "tags": "",
    "status": "",
    "source": "",
    "stage": "",
    "custom_field": "",
    "custom_value": "",
    "kept_criteria": "",
}


def add_texters(workspace, count: int, *, tag: str = "", **fields) -> list[int]:
    """Leads opted in to texts with a valid number (each its own)."""
    with schema_context(workspace.schema_name):
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    first_name=f"Texter{i}",
                    phone=f"+1415555{len(Lead.objects.all()) + i:04d}",
                    sms_consent=Lead.SmsConsent.OPTED_IN,
                    sms_consent_source=Lead.SmsConsentSource.WEB_FORM,
                    sms_consent_at=timezone.now(),
                    tags=[tag] if tag else [],
                    **fields,
                )
                for i in range(count)
            ]
        )
    return [lead.pk for lead in leads]


# --- The API -----------------------------------------------------------------------------------


def test_an_sms_campaign_is_created_and_patched_through_the_api(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)

    created = post(client, "/api/v1/campaigns", {**SMS, "subject": "ignored for a text"})
    changed = patch(
        client, f"/api/v1/campaigns/{created.json()['id']}", {"body_template": "New text"}
    )

    assert created.status_code == 201, created.content
    assert created.json()["channel"] == "sms"
    assert created.json()["subject"] == ""  # a text has no subject
    assert changed.status_code == 200, changed.content
    assert changed.json()["body_template"] == "New text"
    assert changed.json()["channel"] == "sms"


def test_html_or_an_unknown_channel_is_refused_and_nothing_is_written(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)

    html = post(client, "/api/v1/campaigns", {**SMS, "html_template": "<p>Hi</p>"})
    unknown = post(client, "/api/v1/campaigns", {**SMS, "channel": "fax"})
    too_long = post(client, "/api/v1/campaigns", {**SMS, "body_template": "x" * 1601})

    assert html.status_code == 422
    assert html.json()["error"]["details"][0]["field"] == "html_template"
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"][0]["field"] == "channel"
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["code"] == "too_long"
    with schema_context(fixture.workspace.schema_name):
        assert not Campaign.objects.exists()


def test_a_draft_may_change_channel_but_not_once_it_left_draft(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    email = post(
        client, "/api/v1/campaigns", {"name": "News", "subject": "Hi", "body_template": "Hi"}
    )
    campaign_id = email.json()["id"]

    to_sms = patch(client, f"/api/v1/campaigns/{campaign_id}", {"channel": "sms"})
    with schema_context(fixture.workspace.schema_name):
        Campaign.objects.filter(pk=campaign_id).update(status=Campaign.Status.SENT)
    back = patch(client, f"/api/v1/campaigns/{campaign_id}", {"channel": "email"})

    assert to_sms.status_code == 200, to_sms.content
    assert to_sms.json()["channel"] == "sms"
    assert back.status_code == 409
    with schema_context(fixture.workspace.schema_name):
        assert Campaign.objects.get(pk=campaign_id).channel == "sms"


def test_another_workspace_never_sees_or_changes_an_sms_campaign(two_workspaces) -> None:
    alpha, beta = two_workspaces
    campaign_id = post(api(alpha), "/api/v1/campaigns", SMS).json()["id"]
    with schema_context(beta.workspace.schema_name):
        assert not Campaign.objects.filter(pk=campaign_id).exists()

    read = api(beta).get(f"/api/v1/campaigns/{campaign_id}")
    changed = patch(api(beta), f"/api/v1/campaigns/{campaign_id}", {"channel": "email"})
    page = beta.signed_in_client().get(f"/campaigns/{campaign_id}/edit/?channel=email")

    assert read.status_code == 404
    assert changed.status_code == 404
    assert page.status_code == 404
    with schema_context(alpha.workspace.schema_name):
        assert Campaign.objects.get(pk=campaign_id).channel == "sms"


# --- The editor --------------------------------------------------------------------------------


def test_the_new_campaign_page_offers_email_or_sms(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    email_form = client.get("/campaigns/new/")
    sms_form = client.get("/campaigns/new/?channel=sms")

    assert email_form.status_code == 200 and sms_form.status_code == 200
    for response in (email_form, sms_form):
        assert 'href="?channel=email"' in response.content.decode()
        assert 'href="?channel=sms"' in response.content.decode()
    assert 'name="subject"' in email_form.content.decode()
    sms_html = sms_form.content.decode()
    assert 'name="subject"' not in sms_html and 'name="html_template"' not in sms_html
    assert 'name="channel" value="sms"' in sms_html
    assert "data-sms-composer" in sms_html
    assert "js/sms_counter.js" in sms_html
    assert "0 characters · GSM-7 · 0 segments of 160 · 160 left" in page_text(sms_form)


def test_saving_the_sms_form_makes_an_sms_campaign_the_list_marks(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    post(
        api(fixture),
        "/api/v1/campaigns",
        {"name": "Newsletter", "subject": "Hi", "body_template": "Hi"},
    )

    saved = client.post("/campaigns/new/", {**FORM, "body_template": "Line one\r\nLine two"})
    listed = client.get("/campaigns/")

    assert saved.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        campaign = Campaign.objects.get(name="Spring texts")
        assert campaign.channel == "sms"
        assert campaign.subject == "" and campaign.html_template == ""
        assert campaign.body_template == "Line one\nLine two"  # one character per line break
    channels = [
        cell.split(">")[1].split("<")[0]
        for cell in listed.content.decode().split('data-testid="campaign-channel"')[1:]
    ]
    assert channels == ["SMS", "Email"]


def test_the_edit_form_counts_and_previews_the_text_on_the_server(make_workspace) -> None:
    fixture = make_workspace()
    add_texters(fixture.workspace, 1)
    text = "Hi {{ lead.first_name }}, 🎉 doors open Monday"
    campaign_id = post(api(fixture), "/api/v1/campaigns", {**SMS, "body_template": text}).json()[
        "id"
    ]

    page = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/edit/")

    typed = count_segments(text)
    shown = page_text(page)
    assert page.status_code == 200
    assert f"{typed.characters} characters · UCS-2 · 1 segment of 70" in shown
    sent = "Hi Texter0, 🎉 doors open Monday\nReply STOP to opt out"
    assert "Hi Texter0, 🎉 doors open Monday Reply STOP to opt out" in shown
    assert f"{count_segments(sent).segments} segment" in shown


def test_the_live_preview_renders_for_a_lead_with_the_opt_out_line(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    answer = client.get(
        "/campaigns/sms-preview/",
        {**FORM, "body_template": "Hello {{ lead.first_name | default: 'there' }}"},
    )
    own_line = client.get(
        "/campaigns/sms-preview/", {**FORM, "body_template": "Hello. Reply STOP to end"}
    )
    broken = client.get("/campaigns/sms-preview/", {**FORM, "body_template": "Hi {{ lead."})

    assert answer.status_code == 200
    assert "Hello Ada<br>Reply STOP to opt out" in answer.content.decode()  # the sample lead
    assert 'hx-swap-oob="true"' in answer.content.decode()  # the audience total follows
    assert "Reply STOP to opt out" not in own_line.content.decode()
    assert "The preview cannot be made" in page_text(broken)


def test_a_member_cannot_open_the_sms_form(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")

    response = sign_in_client(fixture.workspace, member.email).get("/campaigns/new/?channel=sms")

    assert response.status_code == 403


# --- The audience total -----------------------------------------------------------------------


def test_the_audience_summary_counts_who_can_be_texted_and_why_not(make_workspace) -> None:
    fixture = make_workspace()
    workspace = fixture.workspace
    add_texters(workspace, 3, tag="spring")
    add_texters(workspace, 1, tag="spring", sms_undeliverable_at=timezone.now())
    add_texters(workspace, 2, tag="other")
    with schema_context(workspace.schema_name):
        Lead.objects.create(
            first_name="Out",
            phone="+14155559001",
            tags=["spring"],
            sms_consent=Lead.SmsConsent.OPTED_OUT,
            sms_opted_out_at=timezone.now(),
        )
        Lead.objects.create(first_name="Unknown", phone="+14155559002", tags=["spring"])
        Lead.objects.create(
            first_name="Typed",
            phone="0207 946",
            tags=["spring"],
            sms_consent=Lead.SmsConsent.OPTED_IN,
            sms_consent_source=Lead.SmsConsentSource.IMPORT,
            sms_consent_at=timezone.now(),
        )
        EmailUsage.objects.update_or_create(month=this_month(), defaults={"sms_segments": 40})
    workspace.monthly_sms_segment_limit = 50
    workspace.save(update_fields=["monthly_sms_segment_limit"])

    with schema_context(workspace.schema_name):
        summary = sms_audience_summary({"tag": ["spring"]}, "Hi {{ lead.first_name }} " + "x" * 150)

    assert summary.matched == 7
    assert summary.textable == 3
    assert {code: leads for code, _, leads in summary.excluded} == {
        "opted_out": 1,
        "not_opted_in": 1,
        "no_valid_number": 1,
        "undeliverable": 1,
    }
    assert summary.segments_per_text == 2  # 160+ characters with the opt-out line
    assert summary.total_segments == 6
    assert summary.segments_left == 10 and summary.segments_limit == 50
    assert not summary.over_limit


def test_the_audience_panel_shows_the_segments_against_the_plan(make_workspace) -> None:
    fixture = make_workspace()
    add_texters(fixture.workspace, 4)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.create(first_name="Unknown", phone="+14155559002")
    fixture.workspace.monthly_sms_segment_limit = 3
    fixture.workspace.save(update_fields=["monthly_sms_segment_limit"])

    answer = fixture.signed_in_client().get(
        "/campaigns/audience-count/", {**FORM, "body_template": "Short text"}
    )

    shown = page_text(answer)
    assert answer.status_code == 200
    assert "4 leads can be texted now of 5 the filter matches" in shown
    assert "Not texted: 1 not opted in." in shown
    times = "\N{MULTIPLICATION SIGN}"
    assert f"About 4 segments (4 {times} 1, opt-out line included)" in shown
    assert "your plan has 3 of 3 left this month" in shown
    assert "more than your plan has left" in shown


def test_a_draft_sms_campaign_page_counts_who_can_be_texted(make_workspace) -> None:
    fixture = make_workspace()
    add_texters(fixture.workspace, 2)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.create(first_name="Emailer", email="emailer@example.com")
    campaign_id = post(api(fixture), "/api/v1/campaigns", SMS).json()["id"]

    page = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/")
    audience = api(fixture).get(f"/api/v1/campaigns/{campaign_id}/audience")

    shown = page_text(page)
    assert "2 leads can be texted now" in shown  # not the lead with only an email address
    assert "Not texted: 1 not opted in." in shown
    assert "About 2 segments (1 a text)" in shown
    assert audience.json()["count"] == 2


def test_the_api_summarises_an_sms_campaign_before_it_sends(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_texters(alpha.workspace, 3)
    with schema_context(alpha.workspace.schema_name):
        Lead.objects.create(
            first_name="Out",
            phone="+14155559001",
            sms_consent=Lead.SmsConsent.OPTED_OUT,
            sms_opted_out_at=timezone.now(),
        )
    campaign_id = post(api(alpha), "/api/v1/campaigns", SMS).json()["id"]
    email_id = post(
        api(alpha), "/api/v1/campaigns", {"name": "N", "subject": "S", "body_template": "B"}
    ).json()["id"]

    answer = api(alpha).get(f"/api/v1/campaigns/{campaign_id}/sms-summary")
    email = api(alpha).get(f"/api/v1/campaigns/{email_id}/sms-summary")
    other = api(beta).get(f"/api/v1/campaigns/{campaign_id}/sms-summary")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["preview"]["text"] == "Hi Texter0, doors open Monday!\nReply STOP to opt out"
    assert body["preview"]["encoding"] == "GSM-7" and body["preview"]["segments"] == 1
    assert body["textable"] == 3 and body["matched"] == 4
    assert body["excluded"] == [{"reason": "opted_out", "label": "opted out", "leads": 1}]
    assert body["segments_per_text"] == 1 and body["total_segments"] == 3
    assert email.status_code == 409 and email.json()["error"]["code"] == "wrong_channel"
    assert other.status_code == 404
