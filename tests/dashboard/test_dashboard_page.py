"""The dashboard at / of a workspace: numbers from real data, the period picker, the first
steps of an empty workspace, and nothing of another workspace."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from crm.models import Lead, Task
from outreach.models import Campaign
from outreach.services.email_settings import update_email_settings
from tests.support.clients import OWNER_PASSWORD, add_member, api, post, sign_in_client
from tests.support.pages import page_text


def _leads(fixture, count: int, *, days_ago: float = 1, **fields) -> None:
    """`count` leads created `days_ago` days ago (set-up by bulk insert, as an import does)."""
    created = timezone.now() - timedelta(days=days_ago)
    with schema_context(fixture.workspace.schema_name):
        start = Lead.objects.count()
        Lead.objects.bulk_create(
            Lead(
                email=f"lead{start + index}@{fixture.workspace.slug}.example",
                created_at=created,
                updated_at=created,
                **fields,
            )
            for index in range(count)
        )


def test_an_empty_workspace_gets_the_first_steps_instead_of_charts(make_workspace) -> None:
    fixture = make_workspace()

    response = fixture.signed_in_client().get("/")

    text = page_text(response)
    assert response.status_code == 200
    assert "Get started" in text
    assert "4 of 4 steps left" in text
    for step in (
        "Add or import your leads",
        "Set your postal address",
        "Write your first campaign",
        "Invite your team",
    ):
        assert step in text
    html = response.content.decode()
    assert 'href="/leads/import/"' in html and 'href="/leads/new/"' in html
    assert 'href="/settings/email/"' in html and 'href="/campaigns/new/"' in html
    assert "<canvas" not in html


def test_each_first_step_is_done_from_real_data(make_workspace) -> None:
    fixture = make_workspace()
    add_member(fixture.workspace, User.Role.MEMBER)
    with schema_context(fixture.workspace.schema_name):
        update_email_settings(actor=None, changes={"postal_address": "1 Main St, Springfield"})
    post(api(fixture), "/api/v1/campaigns", {"name": "Hello", "subject": "Hi"})

    text = page_text(fixture.signed_in_client().get("/"))

    assert "1 of 4 steps left" in text
    assert "Set your postal address (done)" in text
    assert "Write your first campaign (done)" in text
    assert "Invite your team (done)" in text
    assert "Add or import your leads (not done yet)" in text


def test_a_member_sees_the_steps_but_no_button_for_what_only_admins_do(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, User.Role.MEMBER)

    response = sign_in_client(fixture.workspace, member.email, OWNER_PASSWORD).get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/settings/email/"' not in html and 'href="/campaigns/new/"' not in html
    assert 'href="/leads/import/"' in html
    assert "An admin does this" in page_text(response)


def test_the_dashboard_shows_the_numbers_with_thousands_separators(make_workspace) -> None:
    fixture = make_workspace()
    _leads(fixture, 1200, days_ago=2, source="ads")
    _leads(fixture, 300, days_ago=40, source="referral", status="customer")
    _leads(fixture, 100, days_ago=3, source="web_form", status="customer")
    with schema_context(fixture.workspace.schema_name):
        owner = User.objects.get()
        now = timezone.now()
        Task.objects.create(title="Call Ada", assignee=owner, due_at=now - timedelta(days=1))
        Task.objects.create(title="Send notes", due_at=now + timedelta(days=1))
        Task.objects.create(title="Done", due_at=now - timedelta(days=3), done_at=now)

    response = fixture.signed_in_client().get("/?days=30")

    text = page_text(response)
    assert response.status_code == 200
    assert "Total leads 1,600 400 customers" in text
    assert "New leads, 30 days 1,300" in text
    # 100 of the 1,300 new leads are customers; 400 of all 1,600.
    assert "Conversion to customer 7.7% 100 of the new leads · 25% of all leads" in text
    assert "Open tasks 2 1 overdue · 1 mine , 1 overdue" in text
    html = response.content.decode()
    for chart in ("chart-leads-by-source", "chart-funnel"):
        assert f'<canvas id="{chart}"' in html
    assert "No campaign has gone out yet" in text


def test_the_period_picker_changes_the_numbers_and_compares_with_the_period_before(
    make_workspace,
) -> None:
    fixture = make_workspace()
    _leads(fixture, 5, days_ago=2)
    _leads(fixture, 10, days_ago=10)
    client = fixture.signed_in_client()

    week = page_text(client.get("/?days=7"))
    month = page_text(client.get("/?days=30"))
    odd = client.get("/?days=13")

    assert "New leads, 7 days 5 ▼ -50% vs 10 before" in week
    assert "New leads, 30 days 15 none in the 30 days before" in month
    assert odd.status_code == 200 and "New leads, 30 days 15" in page_text(odd)
    assert 'href="?days=90"' in odd.content.decode()


def test_the_last_campaigns_show_their_open_and_click_rates(make_workspace) -> None:
    fixture = make_workspace()
    _leads(fixture, 3)
    with schema_context(fixture.workspace.schema_name):
        Campaign.objects.create(
            name="Spring launch",
            subject="Doors open",
            status=Campaign.Status.SENT,
            started_at=timezone.now() - timedelta(days=2),
            sent_count=2000,
            opened_count=900,
            clicked_count=150,
        )
        Campaign.objects.create(name="Draft", subject="Later")

    response = fixture.signed_in_client().get("/")

    text = page_text(response)
    assert "Spring launch" in text and "2,000 45% 7.5%" in text
    assert "Draft" not in text
    assert '<canvas id="chart-campaigns"' in response.content.decode()


def test_another_workspace_never_sees_these_numbers(two_workspaces) -> None:
    alpha, beta = two_workspaces
    _leads(alpha, 1234, days_ago=1)
    _leads(beta, 2, days_ago=1)
    beta_client = beta.signed_in_client()

    own = page_text(beta_client.get("/"))
    beta_client.defaults["HTTP_HOST"] = alpha.host
    elsewhere = beta_client.get("/")

    assert "Total leads 2" in own and "1,234" not in own
    assert elsewhere.status_code == 302 and elsewhere["Location"].startswith("/login/")


def test_signed_out_visitors_go_to_sign_in(make_workspace) -> None:
    response = make_workspace().client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
