"""Campaign templates in Liquid: merge fields in a sandbox (no settings, no ORM, no other
leads, no other templates), merge values escaped in every HTML part, limits on size, loops,
nesting and output, errors reported at save time with their line, a per-process cache that
keeps workspaces apart, preview for a chosen lead, and a test send to yourself through the
real client."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Lead
from outreach.delivery import start_campaign
from outreach.delivery.sender import deliver
from outreach.mail_templates import Sender, compile_email
from outreach.models import Campaign
from outreach.services.lead_email import send_lead_email
from project.errors import InvalidInput
from tests.support.clients import api, patch, post
from tests.support.email import (
    add_leads,
    campaign_row,
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
        'Hi {{ lead.first_name | default: "there" }} of {{ lead.company | default: "your team" }}: '
        "{{ lead.custom_fields.plan | upcase }} at {{ workspace.name }}, "
        "{{ workspace.postal_address }}",
        {"first_name": "", "custom_fields": {"plan": "pro"}},
    )

    assert text == "Hi there of your team: PRO at Alpha Coaching, 1 High Street\nBristol"


def test_the_liquid_that_kit_and_shopify_users_write_works() -> None:
    text, _ = render(
        "{% if lead.company %}Team {{ lead.company }}{% else %}Solo{% endif %}; "
        "{% unless lead.phone %}no phone{% endunless %}; "
        "{% case lead.status %}{% when 'qualified' %}ready{% else %}later{% endcase %}; "
        "{% for tag in lead.tags %}{{ tag | capitalize }}"
        "{% unless forloop.last %}, {% endunless %}{% endfor %}; "
        "{% assign first = lead.first_name | downcase %}"
        "{% capture hello %}hi {{ first }}{% endcapture %}{{ hello | upcase }}; "
        "{{ lead.nickname }}{{ lead.custom_fields.missing }}.",
        {"first_name": "Ada", "company": "Engines", "status": "qualified", "tags": ["a", "vip"]},
    )

    assert text == "Team Engines; no phone; ready; A, Vip; HI ADA; ."  # unknown fields: nothing


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
        # Liquid's own ways in: subscripts, filters that look keys up, copies made by assign
        "{{ lead['__class__'] }}{{ lead.custom_fields['__dict__'] }}{{ lead.tags[0].__len__ }}",
        "{{ lead.tags | map: '__class__' }}{{ lead.tags.first.__class__ }}",
        "{{ lead.tags | where: '__class__' }}{{ lead.custom_fields | map: '__class__' }}",
        "{% assign fields = lead.custom_fields %}{{ fields.__init__.__globals__ }}",
        "{{ lead.custom_fields.items }}{{ lead.custom_fields.keys }}{{ lead.tags.pop }}",
        "{% for t in lead.tags %}{{ forloop.__class__ }}{{ forloop.parentloop.name }}{% endfor %}",
    ],
)
def test_a_template_sees_only_the_leads_and_workspaces_public_fields(source: str) -> None:
    lead = {"first_name": "Ada", "tags": ["vip"], "custom_fields": {"plan": "pro"}}

    text, html = render(f"[{source}]", lead, html=f"<p>[{source}]</p>")

    assert (text, html) == ("[]", "<p>[]</p>")


def test_lead_values_are_escaped_in_the_html_part_only() -> None:
    text, html = render(
        "Hi {{ lead.first_name }}",
        {"first_name": "<b>Ada</b>"},
        html="<p>{{ lead.first_name }}</p>",
    )

    assert text == "Hi <b>Ada</b>"
    assert html == "<p>&lt;b&gt;Ada&lt;/b&gt;</p>"


def test_merge_values_are_escaped_in_the_html_made_from_the_text() -> None:
    text, html = render(
        "Hi {{ lead.first_name }} from {{ lead.company }}.\n\nSee you <b>Monday</b>.",
        {"first_name": "<script>alert(1)</script>", "company": 'A & "B"'},
    )

    assert text == 'Hi <script>alert(1)</script> from A & "B".\n\nSee you <b>Monday</b>.'
    assert "<script>" not in html
    assert "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; from A &amp; &#34;B&#34;.</p>" in html
    assert "<p>See you <b>Monday</b>.</p>" in html  # the author's own words are left as written


SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("html_template", ["", "<p>Hi {{ lead.first_name }},</p>"])
def test_a_script_in_a_lead_name_is_escaped_in_the_html_and_left_as_is_in_the_text(
    make_workspace, postmark, html_template: str
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client, campaign = ready_campaign(fixture, leads=1, html_template=html_template)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.update(first_name=SCRIPT)

    preview = client.get(f"/api/v1/campaigns/{campaign['id']}/preview").json()
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    [email] = postmark.received
    for html in (preview["html_body"], email["HtmlBody"]):
        assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in html
        assert "<script>" not in html
    for text in (preview["text_body"], email["TextBody"]):
        assert text.startswith(f"Hi {SCRIPT},")


def test_a_one_off_email_escapes_the_lead_in_its_html(make_workspace, postmark) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    [lead_id] = add_leads(fixture.workspace, 1)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.update(first_name=SCRIPT)
    client = api(fixture)

    post(
        client,
        f"/api/v1/leads/{lead_id}/email",
        {"subject": "Hi", "body": "Hi {{ lead.first_name }}!"},
    )
    with schema_context(fixture.workspace.schema_name):
        deliver(campaign_id=None)

    [email] = postmark.received
    assert email["TextBody"] == f"Hi {SCRIPT}!"
    assert email["HtmlBody"] == "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;!</p>"


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("Hello\n{% load static %}", 2),
        ("Hi\n\n{% include 'base.html' %}", 3),
        ("{% debug %}", 1),
        ("{% url 'login' %}", 1),
        ("Hi {{ lead.first_name|pprint }}", 1),
        ("Hi\n{% if %}\n", 2),
        ("Hi {% for x in y %}\nand more", 1),
        ("Hi\n{% render 'settings.py' %}", 2),
        ("Hi\n\n\n{{ lead.first_name | safe }}", 4),
        ("Hi\n{{ lead.first_name | }}", 2),
        ("Hi {{ lead.first_name\n", 1),
        ("{% if a %}\n{% if b %}{% endif %}\n{% for t in lead.tags %}\n", 3),
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
        {"name": "Bad", "subject": "{{ x | nope }}", "html_template": "<p>{% endif %}</p>"},
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


MB = 1_000_000


@pytest.mark.parametrize(
    ("field", "name", "size"),
    [("body_template", "text part", 1_300_000), ("html_template", "HTML part", 1_250_001)],
)
def test_a_part_over_1_mb_is_refused_at_save_naming_the_part_and_its_size(
    make_workspace, field: str, name: str, size: int
) -> None:
    client = api(make_workspace())
    good = create_campaign(client)
    huge, fits = "x" * size, "x" * (MB - 10)

    created = post(client, "/api/v1/campaigns", {"name": "Big", field: huge})
    patched = patch(client, f"/api/v1/campaigns/{good['id']}", {field: huge})
    fitting = patch(client, f"/api/v1/campaigns/{good['id']}", {field: fits})

    for response in (created, patched):
        assert response.status_code == 422
        [detail] = response.json()["error"]["details"]
        assert detail["field"] == field
        assert detail["code"] == "template_too_large"
        assert detail["message"].startswith(f"The {name} is 1.3 MB; the limit is 1 MB.")
    assert fitting.status_code == 200


def test_a_one_off_email_over_1_mb_is_refused_naming_the_body(make_workspace) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)

    # The API's schema stops a body at 100,000 characters; the service holds for every caller.
    with schema_context(fixture.workspace.schema_name), pytest.raises(InvalidInput) as refused:
        send_lead_email(actor=None, lead_id=lead_id, subject="Hi", body="é" * 600_000)

    [detail] = refused.value.details
    assert (detail["field"], detail["code"]) == ("body", "template_too_large")
    assert detail["message"].startswith("The text part is 1.2 MB; the limit is 1 MB.")


def nested(tag: str, depth: int, inner: str = "x") -> str:
    end = tag.split()[0]
    return "".join(f"{{% {tag} %}}\n" for _ in range(depth)) + inner + f"{{% end{end} %}}" * depth


def test_tags_nested_too_deep_are_refused_at_save_with_the_line(make_workspace) -> None:
    client = api(make_workspace())

    fine = post(client, "/api/v1/campaigns", {"name": "If", "body_template": nested("if true", 20)})
    deep = post(client, "/api/v1/campaigns", {"name": "If", "body_template": nested("if true", 21)})

    assert fine.status_code == 201
    assert deep.status_code == 422
    [detail] = deep.json()["error"]["details"]
    assert detail["code"] == "template_syntax" and detail["line"] == 21
    assert detail["message"] == "line 21: tags are nested more than 20 deep"


BOMBS = {
    "nested loops": (
        "{% for i in (1..1000) %}{% for j in (1..1000) %}x{% endfor %}{% endfor %}",
        "The text part loops more than 10,000 times in one email, the limit.",
    ),
    "many short loops": (
        "{% for i in (1..1000) %}{% endfor %}" * 11,
        "The text part loops more than 10,000 times in one email, the limit.",
    ),
    "loops inside loops": (
        nested("for i in (1..1)", 7),
        "The text part nests loops too deeply.",
    ),
    "output from a loop": (
        "{% for i in (1..1000) %}" + "x" * 2000 + "{% endfor %}",
        "The text part renders to more than 1 MB, the most an email part may be.",
    ),
    "a capture that doubles": (
        "{% capture x %}xxxxxxxxxx{% endcapture %}{% for i in (1..30) %}"
        "{% capture x %}{{ x }}{{ x }}{% endcapture %}{% endfor %}{{ x | size }}",
        "The text part keeps more than 100 kB in variables.",
    ),
    "an assign that doubles": (
        "{% assign x = 'xxxxxxxxxx' %}{% for i in (1..30) %}"
        "{% assign x = x | append: x %}{% endfor %}{{ x | size }}",
        "The text part keeps more than 100 kB in variables.",
    ),
    "a number that squares": (
        "{% assign n = 99 %}{% for i in (1..30) %}{% assign n = n | times: n %}{% endfor %}",
        "The text part fails on line 1: times would make a number of more than 4,300 digits",
    ),
    "a replace that multiplies": (
        "{{ '" + "a" * 2000 + "' | replace: 'a', '" + "b" * 2000 + "' }}",
        "The text part fails on line 1: replace would make 4 MB of text",
    ),
    "a join that multiplies": (
        "{{ '" + "a," * 2000 + "' | split: ',' | join: '" + "x" * 1000 + "' }}",
        "The text part fails on line 1: join would make 2.1 MB of text",
    ),
    "a date a gigabyte wide": (
        "Sent\n{{ 'now' | date: '%1000000000Y' }}",
        "The text part fails on line 2: date: a field wider than 99 characters is refused",
    ),
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_template_past_a_limit_is_refused_at_send_and_preview_naming_the_part(
    make_workspace, postmark, bomb: str
) -> None:
    source, message = BOMBS[bomb]
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=1, body_template=source)

    sent = post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    preview = client.get(f"/api/v1/campaigns/{campaign['id']}/preview")

    for response in (sent, preview):
        assert response.status_code == 422, response.content
        [detail] = response.json()["error"]["details"]
        assert detail["field"] == "body_template"
        assert detail["message"] == message
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"
    assert postmark.received == []


def test_two_workspaces_campaign_1_send_their_own_templates_from_one_process(
    two_workspaces, postmark
) -> None:
    campaigns = []
    for fixture, words in ((two_workspaces[0], "Alpha opens"), (two_workspaces[1], "Beta closes")):
        client, campaign = ready_campaign(
            fixture, leads=1, body_template=words + ", {{ lead.first_name }}."
        )
        post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
        with schema_context(fixture.workspace.schema_name):
            start_campaign(campaign_id=campaign["id"])
        campaigns.append(campaign["id"])
    alpha, beta = (fixture.workspace for fixture in two_workspaces)
    # Both frozen in the same instant (two workers at once), so only the workspace tells
    # the two versions apart.
    with schema_context(beta.schema_name):
        Campaign.objects.update(frozen_at=campaign_row(alpha, 1).frozen_at)

    for workspace in (alpha, beta):
        with schema_context(workspace.schema_name):
            deliver(campaign_id=1)

    assert campaigns == [1, 1]
    texts = {email["To"]: email["TextBody"] for email in postmark.received}
    assert texts["lead0@alpha.example"].startswith("Alpha opens, Name0.")
    assert texts["lead0@beta.example"].startswith("Beta closes, Name0.")
