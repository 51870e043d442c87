"""Campaign templates: merge fields in a sandbox (no settings, no ORM, no other leads),
errors reported at save time with their line, preview for a chosen lead, and a test send
to yourself through the real client."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Lead
from outreach.mail_templates import Sender, compile_email
from tests.support.clients import api, patch, post
from tests.support.email import (
    add_leads,
    create_campaign,
    ready_campaign,
    run_jobs,
    set_postal_address,
)

SENDER = Sender("Alpha Coaching", "1 High Street\nBristol", "https://alpha.example")


def render(text: str, lead: dict | None = None, html: str = "") -> tuple[str, str]:
    email = compile_email(subject="s", text=text, html=html).render(
        lead=lead or {"first_name": "Ada"}, sender=SENDER
    )
    return email.text_body, email.html_body


def test_merge_fields_with_defaults_custom_fields_and_the_workspace() -> None:
    text, _ = render(
        "Hi {{ lead.first_name|default:'there' }} of {{ lead.company|default:'your team' }}: "
        "{{ lead.custom_fields.plan|upper }} at {{ workspace.name }}, "
        "{{ workspace.postal_address }}",
        {"first_name": "", "custom_fields": {"plan": "pro"}},
    )

    assert text == "Hi there of your team: PRO at Alpha Coaching, 1 High Street\nBristol"


@pytest.mark.parametrize(
    "source",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ lead.owner.password }}",
        "{{ lead.messages.all }}",
        "{{ lead.custom_fields.__class__ }}",
        "{% for other in leads %}{{ other.email }}{% endfor %}",
        "{{ lead.first_name.__class__.__mro__ }}",
        "{{ request.META }}",
        "{{ workspace.schema_name }}{{ workspace.pk }}",
    ],
)
def test_a_template_sees_only_the_leads_and_workspaces_public_fields(source: str) -> None:
    try:
        text, _ = render(f"[{source}]")
    except Exception as error:  # refusing to compile is as good as rendering nothing
        assert "template" in str(error).lower()
    else:
        assert text == "[]"


def test_lead_values_are_escaped_in_the_html_part_only() -> None:
    text, html = render(
        "Hi {{ lead.first_name }}",
        {"first_name": "<b>Ada</b>"},
        html="<p>{{ lead.first_name }}</p>",
    )

    assert text == "Hi <b>Ada</b>"
    assert html == "<p>&lt;b&gt;Ada&lt;/b&gt;</p>"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("Hello\n{% load static %}", 2),
        ("Hi\n\n{% include 'base.html' %}", 3),
        ("{% debug %}", 1),
        ("{% url 'login' %}", 1),
        ("Hi {{ lead.first_name|pprint }}", 1),
        ("Hi\n{% if %}\n", 2),
        ("Hi {% for x in y %}", 1),
    ],
)
def test_a_template_error_is_refused_at_save_with_its_line(
    make_workspace, source: str, line: int
) -> None:
    client = api(make_workspace())

    response = post(client, "/api/v1/campaigns", {"name": "Bad", "body_template": source})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "body_template"
    assert detail["code"] == "template_syntax"
    assert detail["line"] == line
    assert detail["message"].startswith(f"line {line}: ")


def test_every_broken_part_is_named_and_a_patch_is_checked_too(make_workspace) -> None:
    client = api(make_workspace())
    good = create_campaign(client)

    both = post(
        client,
        "/api/v1/campaigns",
        {"name": "Bad", "subject": "{{ x|nope }}", "html_template": "<p>{% endif %}</p>"},
    )
    patched = patch(client, f"/api/v1/campaigns/{good['id']}", {"subject": "{% load x %}"})

    assert {d["field"] for d in both.json()["error"]["details"]} == {"subject", "html_template"}
    assert patched.status_code == 422
    assert client.get(f"/api/v1/campaigns/{good['id']}").json()["subject"] == good["subject"]


def test_preview_renders_for_a_chosen_lead_with_footer(make_workspace) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client, campaign = ready_campaign(fixture, leads=2)
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="plan", label="Plan", field_type="text")
        second = Lead.objects.order_by("-id")[0]
        Lead.objects.filter(pk=second.pk).update(first_name="Grace", custom_fields={"plan": "pro"})

    default = client.get(f"/api/v1/campaigns/{campaign['id']}/preview").json()
    chosen = client.get(f"/api/v1/campaigns/{campaign['id']}/preview?lead={second.pk}").json()
    missing = client.get(f"/api/v1/campaigns/{campaign['id']}/preview?lead=999999")

    assert default["subject"] == "Name0, doors open Monday"
    assert chosen["lead_id"] == second.pk and chosen["to"] == second.email
    assert chosen["subject"] == "Grace, doors open Monday"
    assert chosen["text_body"].startswith("Hi Grace,")
    assert (
        "\n--\nAlpha Coaching\nAlpha Coaching, 1 High Street, Bristol BS1 4DJ\n"
        in chosen["text_body"]
    )
    assert "Unsubscribe" in chosen["html_body"]
    assert missing.status_code == 404


def test_a_preview_of_another_workspaces_lead_is_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    [alpha_lead] = add_leads(alpha.workspace, 1)
    _, beta_campaign = ready_campaign(beta, leads=0)

    response = api(beta).get(f"/api/v1/campaigns/{beta_campaign['id']}/preview?lead={alpha_lead}")

    assert response.status_code == 404  # beta has no leads: alpha's id means nothing there
    assert response.json()["error"]["code"] == "not_found"
    assert "alpha.example" not in response.content.decode()


def test_a_test_send_goes_to_yourself_on_the_transactional_stream(make_workspace, postmark) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client, campaign = ready_campaign(fixture, leads=1)

    response = post(client, f"/api/v1/campaigns/{campaign['id']}/test", {})

    assert response.status_code == 200
    assert response.json() == {"to": fixture.owner_email}
    [email] = postmark.received
    assert email["To"] == fixture.owner_email
    assert email["Subject"] == "[Test] Name0, doors open Monday"
    assert email["MessageStream"] == "outbound"
    assert "/unsubscribe/preview/" in email["TextBody"]
    stats = client.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()
    assert stats["counts"]["sent"] == 0 and stats["status"] == "draft"


def test_a_test_send_that_postmark_refuses_is_a_clear_502(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=1)
    postmark.fail_next = [500]

    response = post(client, f"/api/v1/campaigns/{campaign['id']}/test", {})

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "email_provider_error"
    assert "Try again" in response.json()["error"]["message"]


def test_without_a_postmark_token_emails_land_in_the_outbox(make_workspace) -> None:
    from tests.support.clients import outbox_of

    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    set_postal_address(fixture.workspace)
    before = len(outbox_of(fixture.workspace))

    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run = run_jobs(fixture.workspace, campaign["id"])

    outbox = outbox_of(fixture.workspace)[before:]
    assert run.sent == 2
    assert sorted(email.to for email in outbox) == sorted(
        [f"lead0@{fixture.workspace.slug}.example", f"lead1@{fixture.workspace.slug}.example"]
    )
    assert {email.stream for email in outbox} == {"broadcast"}
    assert all("List-Unsubscribe" in email.headers for email in outbox)
