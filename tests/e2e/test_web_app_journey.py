"""The whole web app in one real browser session, as a new coach meets it: sign up on the
apex, land in the new workspace and see the first steps, add a lead, import a CSV with one
bad row (see the error, fix the file, import with progress), tag leads in bulk, move a lead on
the board and find the move on its timeline, add and complete a task, send a campaign to the
Postmark double, and see the dashboard's numbers change. The app runs under gunicorn with a
real Celery worker; every page is also checked at 390 px (nothing scrolls sideways)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import EventLog, Lead, Task
from outreach.models import Campaign
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tests.support.browser import chromium_page
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import celery_worker, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts" / "journey"
PASSWORD = "a long enough passphrase"
HEADER = "First Name,Last name,E-mail,Company name,Tags\n"
ROWS = [f"Reader{i},Okafor,reader{i}@journey.example,Cohort {i},spring\n" for i in range(5)]
BAD_ROW = "Bob,Builder,bob@,Fix It,spring\n"
FIXED_ROW = "Bob,Builder,bob@journey.example,Fix It,spring\n"
POSTAL_ADDRESS = "Harbour Coaching\n12 Harbour Road\nBristol BS1 5TY"


@pytest.fixture
def slug(django_db_blocker) -> Iterator[str]:
    """The workspace the journey signs up for; dropped afterwards (it is committed)."""
    value = f"journey-{uuid.uuid4().hex[:8]}"
    yield value
    with django_db_blocker.unblock():
        use_public_schema()
        workspace = Workspace.objects.filter(slug=value).first()
        if workspace is not None:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{workspace.schema_name}" CASCADE')
            workspace.delete()


def test_a_new_coach_runs_their_business_from_the_browser(
    slug: str, django_db_blocker, tmp_path: Path
) -> None:
    bad = tmp_path / "leads.csv"
    bad.write_text(HEADER + ROWS[0] + BAD_ROW + "".join(ROWS[1:]))
    fixed = tmp_path / "leads-fixed.csv"
    fixed.write_text(HEADER + ROWS[0] + FIXED_ROW + "".join(ROWS[1:]))
    port = free_port()
    with fake_postmark() as postmark:
        app_env = {
            "POSTMARK_SERVER_TOKEN": "server-token-web-journey",
            "POSTMARK_API_URL": postmark.url,
            "CRM_PUBLIC_PORT": str(port),
            "CRM_EMAIL_SEND_RATE": "100000",
            "CRM_IMPORT_SYNC_MAX_ROWS": "0",  # the worker imports, so the progress bar is seen
            "CRM_SIGNUP_RATE": "1000/h",
            "LOG_LEVEL": "WARNING",
        }
        with celery_worker(tmp_path, env=app_env) as worker:
            web_log = tmp_path / "gunicorn.log"
            web_env = worker_env(CRM_CELERY_QUEUE=worker.queue, **app_env)
            with gunicorn_app(web_env, log_path=web_log, port=port):
                try:
                    _journey(port, slug, postmark, bad, fixed)
                except Exception as error:
                    raise AssertionError(
                        f"{error}\n--- worker log ---\n{worker.log()[-6000:]}"
                        f"\n--- web log ---\n{web_log.read_text()[-6000:]}"
                    ) from error

    with django_db_blocker.unblock():
        use_public_schema()
        workspace = Workspace.objects.get(slug=slug)
        with schema_context(workspace.schema_name):
            ada = Lead.objects.get(email="ada@journey.example")
            assert ada.stage is not None and ada.stage.name == "Qualified"
            assert EventLog.objects.filter(
                object_type="lead", object_id=ada.pk, verb="updated", changes__has_key="stage"
            ).exists()
            assert Task.objects.get(lead=ada).done_at is not None
            assert Lead.objects.filter(tags__contains=["vip"]).count() == 3
            assert Lead.objects.count() == 7
            campaign = Campaign.objects.get()
            assert campaign.status == "sent" and campaign.sent_count == 7


def _journey(port: int, slug: str, postmark: FakePostmark, bad: Path, fixed: Path) -> None:
    apex = f"http://localhost:{port}"
    base = f"http://{slug}.localhost:{port}"
    with chromium_page() as page:
        _sign_up(page, apex, base, slug)
        _add_a_lead(page, base)
        _import_with_one_bad_row(page, base, bad, fixed)
        _tag_in_bulk(page, base)
        lead_path = _move_on_the_board(page, base)
        _add_and_complete_a_task(page, base)
        _send_a_campaign(page, base)
        # The campaign reached each of the 7 leads once (the owner's own address also got the
        # sign-up's confirmation email).
        received = [to for to in postmark.accepted_to() if not to.startswith("grace@")]
        assert len(received) == 7 and len(set(received)) == 7
        _dashboard_numbers(page, base)
        _phone_width(page, base, lead_path)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _sign_up(page: Page, apex: str, base: str, slug: str) -> None:
    page.goto(f"{apex}/")
    _shot(page, "01-landing")
    page.goto(f"{apex}/signup/")
    page.get_by_label("Business name").fill("Harbour Coaching")
    page.get_by_label("Your address").fill(slug)
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Your email").fill(f"grace@{slug}.example")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_role("button", name="Create my workspace").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Welcome to Harbour Coaching")).to_be_visible()
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    expect(page.locator(".step-list li")).to_have_count(4)
    assert page.locator("canvas").count() == 0  # a checklist, not empty charts
    _shot(page, "02-first-steps")


def _add_a_lead(page: Page, base: str) -> None:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Leads").click()
    page.wait_for_url(f"{base}/leads/")
    page.get_by_role("link", name="Add a lead").first.click()
    dialog = page.locator("#lead-modal")
    expect(dialog.get_by_role("heading", name="Add a lead")).to_be_visible()
    dialog.get_by_label("First name").fill("Ada")
    dialog.get_by_role("button", name="Add the lead").click()
    expect(dialog.locator(".field-error")).to_contain_text("Give an email address or a phone")
    dialog.get_by_label("Last name").fill("Lovelace")
    dialog.get_by_label("Email").fill("ada@journey.example")
    dialog.get_by_role("button", name="Add the lead").click()
    expect(page.get_by_role("status").filter(has_text="is added")).to_be_visible()
    expect(page.locator("#lead-total")).to_have_text("1 lead")


def _import_with_one_bad_row(page: Page, base: str, bad: Path, fixed: Path) -> None:
    page.goto(f"{base}/leads/import/")
    _upload_and_check(page, bad)
    problems = page.locator(".error-list li")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("Row 3")
    expect(problems.first).to_contain_text("bob@")
    _shot(page, "03-import-error")
    page.get_by_role("link", name="Upload a fixed file").click()
    _upload_and_check(page, fixed)
    expect(page.get_by_role("status")).to_contain_text("All 6 rows can be imported")
    page.get_by_role("button", name="Import 6 leads").click()
    page.wait_for_url(re.compile(r".*/leads/import/\d+/$"))
    status = page.locator("#import-status")
    expect(status).to_have_attribute("data-status", "done", timeout=180_000)
    expect(status).to_contain_text("100%")
    _shot(page, "04-import-done")
    page.goto(f"{base}/leads/")
    expect(page.locator("#lead-total")).to_have_text("7 leads")


def _upload_and_check(page: Page, csv_path: Path) -> None:
    page.set_input_files("input[type=file]", str(csv_path))
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_url(re.compile(r".*/mapping/$"))
    expect(page.get_by_label("E-mail")).to_have_value("email")
    page.get_by_role("button", name="Check the rows").click()
    expect(
        page.get_by_role("heading", name="The first rows as they will be imported")
    ).to_be_visible(timeout=180_000)


def _tag_in_bulk(page: Page, base: str) -> None:
    page.goto(f"{base}/leads/?tag=spring")
    expect(page.locator("#lead-total")).to_have_text("6 leads match the filters")
    rows = page.locator("[data-row-select]")
    for index in range(3):
        rows.nth(index).check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    page.get_by_label("Bulk action").select_option("tag")
    page.get_by_placeholder("Tags, comma separated").fill("vip")
    page.get_by_role("button", name="Apply…").click()
    dialog = page.locator("#lead-modal")
    expect(dialog.get_by_role("heading")).to_have_text("Tag 3 leads with vip?")
    dialog.get_by_role("button", name="Tag 3 leads").click()
    expect(page.get_by_role("status").filter(has_text="Tagged 3 leads with vip.")).to_be_visible()
    expect(page.locator("td.tags").filter(has_text="vip")).to_have_count(3)
    _shot(page, "05-leads-tagged")


def _move_on_the_board(page: Page, base: str) -> str:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Pipeline").click()
    page.wait_for_url(f"{base}/pipeline/")
    page.get_by_label("Move Ada Lovelace to").select_option(label="Qualified")
    page.get_by_role("button", name="Move Ada Lovelace").click()
    expect(page.get_by_role("region", name="Qualified")).to_contain_text("Ada Lovelace")
    _shot(page, "06-board")
    page.reload()
    page.locator(".board-card", has_text="Ada Lovelace").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.locator("#lead-timeline")).to_contain_text("Qualified")
    _shot(page, "07-lead-timeline")
    return page.url.removeprefix(base)


def _add_and_complete_a_task(page: Page, base: str) -> None:
    page.get_by_role("tab", name="Add a task").click()
    page.get_by_label("Task", exact=True).fill("Send Ada the syllabus")
    page.get_by_role("button", name="Add the task").click()
    expect(page.locator("#lead-open-tasks")).to_contain_text("Send Ada the syllabus")
    page.goto(f"{base}/tasks/?tab=all")
    row = page.locator("tr", has_text="Send Ada the syllabus")
    expect(row).to_contain_text("Ada Lovelace")
    row.get_by_role("button", name="Complete “Send Ada the syllabus”").click()
    expect(row).to_contain_text("Done")
    _shot(page, "08-tasks")


def _send_a_campaign(page: Page, base: str) -> None:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Email settings").click()
    page.get_by_label("Postal address").fill(POSTAL_ADDRESS)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Postal address")).to_have_value(POSTAL_ADDRESS)

    page.goto(f"{base}/campaigns/new/")
    page.get_by_label("Campaign name").fill("Spring cohort")
    page.get_by_label("Subject").fill("{{ lead.first_name }}, the spring cohort opens Monday")
    page.get_by_label("Text", exact=True).fill("Hi {{ lead.first_name }}, doors open Monday.")
    expect(page.locator("#audience-count")).to_have_text("7 leads match now")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now").click()
    expect(page.locator("#campaign-live")).to_have_attribute("data-status", "sent", timeout=90_000)
    _shot(page, "09-campaign-sent")


def _dashboard_numbers(page: Page, base: str) -> None:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("[data-figure='total-leads'] .value")).to_have_text("7")
    expect(page.locator("[data-figure='new-leads'] .value")).to_have_text("7")
    expect(page.locator("[data-figure='tasks'] .value")).to_have_text("0")
    expect(page.locator("table.dash-campaigns")).to_contain_text("Spring cohort")
    assert page.locator("canvas").count() >= 3
    _shot(page, "10-dashboard")


def _phone_width(page: Page, base: str, lead_path: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    paths = [
        "/",
        "/leads/",
        lead_path,
        "/leads/import/",
        "/pipeline/",
        "/tasks/",
        "/campaigns/",
        "/products/",
        "/team/",
        "/settings/",
        "/settings/email/",
    ]
    for path in paths:
        page.goto(f"{base}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390"
        _shot(page, "390" + (path.strip("/").replace("/", "-") or "-dashboard"))
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Workspace")).to_be_visible()
    _shot(page, "390-menu-open")
