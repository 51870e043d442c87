"""A coach works one lead in a real browser: the app under gunicorn, Debian's Chromium.
Open the lead from the list, tag it from the suggestions, move its stage, log a call, add a
task and complete it, and see each on the timeline without a reload; then the same page on
a phone is no wider than the screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Lead, Message, Task
from crm.services.leads import create_lead
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    """Committed rows: the web process sees only those. Another lead's tag is in the
    catalogue, so the tag input suggests it."""
    with committed_workspace(django_db_blocker, prefix="lead", name="Harbour Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            create_lead(
                actor=None, first_name="Ada", last_name="Lovelace", email=f"ada@{ws.slug}.example",
                company="Analytical Engines", source="referral", tags=["webinar"],
            )  # fmt: skip
            create_lead(actor=None, email=f"grace@{ws.slug}.example", tags=["spring-cohort"])
        yield ws


def test_a_coach_tags_a_lead_logs_a_call_and_completes_a_task(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    env = worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING")
    web_log = tmp_path / "gunicorn.log"
    with gunicorn_app(env, log_path=web_log, port=port):
        try:
            _journey(workspace, f"http://{workspace.primary_host}:{port}")
        except Exception as error:
            log = web_log.read_text()[-6000:]
            raise AssertionError(f"{error}\n--- web log ---\n{log}") from error
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        lead = Lead.objects.select_related("stage").get(first_name="Ada")
        call = Message.objects.get(lead=lead)
        task = Task.objects.get(lead=lead)
    assert lead.tags == ["spring-cohort", "webinar"]
    assert lead.stage is not None and lead.stage.name == "Contacted"
    assert (call.channel, call.subject) == ("call", "Intro call")
    assert task.done_at is not None


def _journey(workspace: Workspace, base: str) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/login/?next=/leads/")
        page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Ada Lovelace", exact=True).click()
        expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
        timeline = page.locator("#lead-timeline")
        expect(timeline).to_contain_text("Lead created")
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

        # A tag from the suggestions of the catalogue.
        tag = page.get_by_label("Add a tag")
        tag.fill("spr")
        suggestions = page.locator("#lead-tag-suggestions option")
        expect(suggestions).to_have_count(1)
        assert suggestions.get_attribute("value") == "spring-cohort"
        tag.fill("spring-cohort")
        page.locator("#lead-tags").get_by_role("button", name="Add").click()
        expect(page.locator("#lead-tags .tag-chip")).to_have_count(2)
        expect(timeline).to_contain_text("Tagged spring-cohort")

        page.get_by_label("Stage").select_option(label="Contacted")
        expect(timeline).to_contain_text("Stage: no stage → Contacted")

        page.locator("label.segment", has_text="Call").click()
        expect(page.get_by_role("radio", name="Call")).to_be_checked()
        page.get_by_label("Subject").fill("Intro call")
        page.get_by_label("What happened").fill("Wants the spring cohort; send the syllabus.")
        page.get_by_role("button", name="Save to timeline").click()
        expect(timeline).to_contain_text("Call: Intro call")
        expect(timeline).to_contain_text("Wants the spring cohort; send the syllabus.")

        page.get_by_role("tab", name="Add a task").click()
        page.get_by_label("Task", exact=True).fill("Send the syllabus")
        page.get_by_label("Due").fill("2026-12-04T10:00")
        page.get_by_role("button", name="Add the task").click()
        open_tasks = page.locator("#lead-open-tasks")
        expect(open_tasks).to_contain_text("Send the syllabus")
        expect(timeline).to_contain_text("Task: Send the syllabus")
        _screenshot(page, "lead-page.png", 1280)

        open_tasks.get_by_role("button", name="Mark “Send the syllabus” as done").click()
        expect(open_tasks).to_contain_text("No open tasks")
        expect(timeline.locator(".tl-task .badge").first).to_have_text("Done")
        assert page.evaluate("window.__sameDocument === true")
        expect(page.locator("#lead-email-state")).to_contain_text("Subscribed")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _screenshot(page, "lead-page-phone.png", 390)


def _screenshot(page: Page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": width, "height": max(height, 800)})
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": width, "height": 800 if width > 400 else 844})
