"""The app shell every workspace page shares, and the assets `make install` builds for it."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Lead
from tests.support.clients import add_member, sign_in_client
from tests.support.pages import page_text


def test_built_css_and_libraries_are_served(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()

    css = client.get("/static/css/app.css")
    chart = client.get("/static/vendor/chart.umd.min.js")
    sortable = client.get("/static/vendor/sortable.min.js")
    icon = client.get("/static/favicon.svg")

    body = b"".join(css.streaming_content).decode()
    assert css.status_code == 200
    assert ".sidebar" in body and ".btn-primary" in body  # the components, built by Tailwind
    assert "tailwindcss" in body
    assert chart.status_code == 200 and sortable.status_code == 200
    assert icon.status_code == 200


def test_the_sidebar_names_every_section_and_marks_the_current_one(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    html = client.get("/leads/").content.decode()

    for label, url in [
        ("Dashboard", "/"),
        ("Leads", "/leads/"),
        ("Pipeline", "/pipeline/"),
        ("Tasks", "/tasks/"),
        ("Campaigns", "/campaigns/"),
        ("Products", "/products/"),
        ("Team", "/team/"),
        ("Settings", "/settings/"),
    ]:
        assert f'href="{url}"' in html, label
    assert 'href="/leads/" aria-current="page"' in html
    assert 'role="search"' in html and 'aria-label="Main"' in html
    assert 'rel="icon"' in html


def test_a_member_sees_no_team_or_settings_and_is_refused_the_settings_page(
    make_workspace,
) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = sign_in_client(fixture.workspace, member.email)

    html = client.get("/leads/").content.decode()
    refused = client.get("/settings/")

    assert 'href="/team/"' not in html and 'href="/settings/"' not in html
    assert refused.status_code == 403


def test_global_search_finds_leads_of_this_workspace_only(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        Lead.objects.create(first_name="Ada", last_name="Lovelace", email="ada@alpha.example")
        Lead.objects.create(first_name="Bob", company="Analytical Engines", phone="+441234")
    with schema_context(beta.workspace.schema_name):
        Lead.objects.create(first_name="Adam", email="adam@beta.example")

    alpha_client = alpha.signed_in_client()
    beta_client = beta.signed_in_client()
    by_name = page_text(alpha_client.get("/search/", {"q": "ada"}))
    by_company = page_text(alpha_client.get("/search/", {"q": "analytical"}))
    none = page_text(alpha_client.get("/search/", {"q": "zzz"}))
    from_beta = page_text(beta_client.get("/search/", {"q": "ada"}))

    assert "Ada Lovelace" in by_name and "Adam" not in by_name
    assert "Bob" in by_company
    assert "No lead matches" in none
    assert "Adam" in from_beta and "Lovelace" not in from_beta
    assert Client().get("/search/", {"q": "ada"}, HTTP_HOST=alpha.host).status_code == 302


def test_no_template_comment_spans_lines() -> None:
    """Django's {# #} ends at the line's end: a longer one shows its text on the page."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    open_comments = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert open_comments == []
