"""The campaign extras in the browser: duplicating a campaign, its full recipient list by
status, and what the progress panel says when no Postmark token is set. Each with who may
do it and with another workspace's session (404, nothing of the campaign shown)."""

from __future__ import annotations

import html
import re

import pytest
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Message
from mail.models import OutboxEmail
from outreach.mail_templates import SAMPLE_LEAD, Sender, compile_email, template_values
from outreach.models import Campaign
from outreach.selectors.merge_fields import merge_fields
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.email import add_leads, campaign_row, ready_campaign, run_jobs
from tests.support.pages import draft, page_text


def member_client(fixture):
    member = add_member(fixture.workspace, "member")
    return sign_in_client(fixture.workspace, member.email)


def campaigns_of(workspace) -> list[Campaign]:
    with schema_context(workspace.schema_name):
        return list(Campaign.objects.order_by("id"))


# --- Merge fields -------------------------------------------------------------------------------


def picker_expressions(response) -> list[str]:
    body = response.content.decode()
    return [html.unescape(value) for value in re.findall(r'data-merge-field="([^"]*)"', body)]


def test_the_form_offers_every_field_a_template_sees_and_the_custom_fields(
    make_workspace,
) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="plan", label="Plan", field_type="text")
        CustomFieldDefinition.objects.create(key="coach-name", label="Coach", field_type="text")
    client = fixture.signed_in_client()

    new_form = client.get("/campaigns/new/")
    edit_form = client.get(f"/campaigns/{draft(fixture)}/edit/")

    offered = picker_expressions(new_form)
    assert offered == picker_expressions(edit_form)
    values = template_values(
        lead=SAMPLE_LEAD, sender=Sender("W", "A", "https://w.example"), unsubscribe_url="u"
    )
    for name, value in values.items():  # every name the sandbox renders with is offered
        if isinstance(value, dict):
            for key in value:
                if key != "custom_fields":
                    assert any(f"{name}.{key}" in expression for expression in offered), key
        else:
            assert "{{ " + name + " }}" in offered
    assert "{{ lead.first_name }}" in offered
    assert "{{ lead.custom_fields.plan }}" in offered
    assert '{{ lead.custom_fields["coach-name"] }}' in offered
    assert "{{ unsubscribe_url }}" in offered
    text = page_text(new_form)
    assert "First name" in text and "Custom fields" in text and "Unsubscribe link" in text
    assert 'data-merge-target="Subject"' in new_form.content.decode()
    assert "js/campaigns.js" in new_form.content.decode()


def test_every_offered_field_renders_in_every_part(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="coach-name", label="Coach", field_type="text")
        offered = [f.expression for group in merge_fields() for f in group.fields]
    lead = {**SAMPLE_LEAD, "custom_fields": {"coach-name": "Grace"}}
    source = " / ".join(offered)

    rendered = compile_email(subject=source, text=source, html=f"<p>{source}</p>").render(
        lead=lead,
        sender=Sender("Sample", "1 Street", "https://example.com"),
        unsubscribe_url="https://example.com/u/",
    )

    assert "Ada / Lovelace / Ada Lovelace" in rendered.text_body
    assert "webinar" in rendered.text_body and "Grace" in rendered.text_body
    assert "https://example.com/u/" in rendered.subject


def test_another_workspaces_custom_fields_are_not_offered(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="alpha_secret", label="Alpha secret")

    offered = picker_expressions(beta.signed_in_client().get("/campaigns/new/"))

    assert "{{ lead.first_name }}" in offered
    assert not any("alpha_secret" in expression for expression in offered)


# --- Duplicate --------------------------------------------------------------------------------


def test_duplicating_makes_a_draft_with_the_same_content_and_audience(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2, tags=["vip"])
    campaign_id = draft(
        fixture,
        html_template="<p>Hello {{ lead.first_name }}</p>",
        audience={"tag": ["vip"], "status": "new"},
    )
    client = fixture.signed_in_client()

    response = client.post(f"/campaigns/{campaign_id}/duplicate/")

    original, copy = campaigns_of(fixture.workspace)
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{copy.pk}/edit/"
    assert copy.name == "Copy of Spring cohort"
    assert copy.status == "draft"
    assert (copy.subject, copy.body_template, copy.html_template) == (
        original.subject,
        original.body_template,
        original.html_template,
    )
    assert copy.audience == original.audience == {"tag": ["vip"], "status": "new"}
    edit_page = page_text(client.get(response["Location"]))
    assert "“Copy of Spring cohort” is a new draft" in edit_page


def test_a_sent_campaign_can_be_duplicated_into_a_fresh_draft(make_workspace) -> None:
    fixture = make_workspace()
    owner_api, campaign = ready_campaign(fixture, leads=2)
    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    response = post(owner_api, f"/api/v1/campaigns/{campaign['id']}/duplicate", {})

    assert response.status_code == 201
    copy = response.json()
    assert copy["name"] == "Copy of Spring cohort"
    assert copy["status"] == "draft"
    assert copy["sent_count"] == 0 and copy["audience_size"] == 0
    assert campaign_row(fixture.workspace, campaign["id"]).status == "sent"


def test_a_long_name_is_cut_to_fit_when_copied(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = draft(fixture, name="N" * 200)

    fixture.signed_in_client().post(f"/campaigns/{campaign_id}/duplicate/")

    copy = campaigns_of(fixture.workspace)[-1]
    assert len(copy.name) == 200
    assert copy.name.startswith("Copy of NNN") and copy.name.endswith("…")


def test_a_member_cannot_duplicate_and_sees_no_button(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = draft(fixture)
    client = member_client(fixture)

    detail = client.get(f"/campaigns/{campaign_id}/")
    refused = client.post(f"/campaigns/{campaign_id}/duplicate/")

    assert "Duplicate" not in page_text(detail)
    assert refused.status_code == 403
    assert len(campaigns_of(fixture.workspace)) == 1


def test_the_owner_sees_the_duplicate_button(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = draft(fixture)

    detail = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/")

    assert f'action="/campaigns/{campaign_id}/duplicate/"' in detail.content.decode()


# --- Recipients -------------------------------------------------------------------------------


def sent_campaign(fixture, leads: int) -> int:
    owner_api, campaign = ready_campaign(fixture, leads=leads)
    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])
    return int(campaign["id"])


def set_status(workspace, campaign_id: int, count: int, status: str) -> None:
    """The first `count` messages of the campaign get `status` (what webhooks would do)."""
    with schema_context(workspace.schema_name):
        ids = list(
            Message.objects.filter(campaign_id=campaign_id).order_by("id")[:count].values("id")
        )
        Message.objects.filter(id__in=[row["id"] for row in ids]).update(status=status)


def test_the_recipient_list_pages_through_every_recipient(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=55)
    client = fixture.signed_in_client()

    first = client.get(f"/campaigns/{campaign_id}/recipients/")
    next_link = first.content.decode().split('href="?cursor=')[1].split('"')[0]
    second = client.get(f"/campaigns/{campaign_id}/recipients/?cursor={next_link}")

    slug = fixture.workspace.slug
    first_text, second_text = page_text(first), page_text(second)
    assert first.status_code == second.status_code == 200
    assert "55 recipients" in first_text
    assert f"lead0@{slug}.example" in first_text and f"lead49@{slug}.example" in first_text
    assert f"lead50@{slug}.example" not in first_text
    assert f"lead50@{slug}.example" in second_text and f"lead54@{slug}.example" in second_text
    assert f"lead49@{slug}.example" not in second_text
    assert "Next 50" in first_text and "Next 50" not in second_text
    assert "First page" in second_text


def test_the_recipient_list_filters_by_status_and_counts_each(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=5)
    set_status(fixture.workspace, campaign_id, 2, "opened")
    client = fixture.signed_in_client()

    everyone = client.get(f"/campaigns/{campaign_id}/recipients/")
    opened = client.get(f"/campaigns/{campaign_id}/recipients/?status=opened")
    bounced = client.get(f"/campaigns/{campaign_id}/recipients/?status=bounced")
    unknown = client.get(f"/campaigns/{campaign_id}/recipients/?status=nonsense")

    slug = fixture.workspace.slug
    assert "All 5" in page_text(everyone)
    assert "Opened 2" in page_text(everyone) and "Sent 3" in page_text(everyone)
    assert "Bounced 0" in page_text(everyone)
    assert f"lead0@{slug}.example" in page_text(opened)
    assert f"lead1@{slug}.example" in page_text(opened)
    assert f"lead2@{slug}.example" not in page_text(opened)
    assert "2 with the status “Opened”" in page_text(opened)
    assert "No recipient has the status “Bounced”" in page_text(bounced)
    assert unknown.status_code == 200 and "5 recipients" in page_text(unknown)


def test_a_draft_has_no_recipients_yet(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)
    campaign_id = draft(fixture)

    page = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/recipients/")

    assert page.status_code == 200
    assert "Not sent yet" in page_text(page)


def test_a_forged_cursor_is_a_400_page_not_a_500(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=1)

    page = fixture.signed_in_client().get(f"/campaigns/{campaign_id}/recipients/?cursor=xyz")

    assert page.status_code == 400


def test_a_member_may_read_the_recipient_list(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=2)

    page = member_client(fixture).get(f"/campaigns/{campaign_id}/recipients/")

    assert page.status_code == 200
    assert f"lead1@{fixture.workspace.slug}.example" in page_text(page)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/campaigns/{id}/recipients/"),
        ("get", "/campaigns/{id}/recipients/?status=sent"),
        ("post", "/campaigns/{id}/duplicate/"),
    ],
)
def test_another_workspaces_campaign_extras_are_404(two_workspaces, method, path) -> None:
    alpha, beta = two_workspaces
    campaign_id = sent_campaign(alpha, leads=2)

    response = getattr(beta.signed_in_client(), method)(path.format(id=campaign_id))

    body = response.content.decode()
    assert response.status_code == 404
    assert "Spring cohort" not in body and f"@{alpha.workspace.slug}.example" not in body
    assert campaigns_of(beta.workspace) == []
    assert len(campaigns_of(alpha.workspace)) == 1


def test_another_workspaces_campaign_cannot_be_duplicated_through_the_api(two_workspaces) -> None:
    alpha, beta = two_workspaces
    campaign_id = draft(alpha)

    response = post(api(beta), f"/api/v1/campaigns/{campaign_id}/duplicate", {})

    assert response.status_code == 404
    assert campaigns_of(beta.workspace) == []


# --- Development outbox -----------------------------------------------------------------------


def test_without_a_postmark_token_the_progress_says_the_outbox(make_workspace) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=3)

    page = page_text(fixture.signed_in_client().get(f"/campaigns/{campaign_id}/"))

    with schema_context(fixture.workspace.schema_name):
        assert OutboxEmail.objects.count() == 3
    assert "3 in the development outbox" in page
    assert "accepted by Postmark" not in page
    assert "open it" in page


def test_with_a_postmark_token_the_progress_says_postmark(make_workspace, postmark) -> None:
    fixture = make_workspace()
    campaign_id = sent_campaign(fixture, leads=2)

    page = page_text(fixture.signed_in_client().get(f"/campaigns/{campaign_id}/"))

    assert "2 accepted by Postmark" in page
    assert "development outbox" not in page
