"""The dashboard in a real browser: a seeded workspace shows its numbers and draws its three
charts, the period picker changes the numbers (and the URL), an empty workspace gets the
first-steps checklist, nothing scrolls sideways at 390 px, and the other workspace's
session never sees these numbers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Locator, Page, expect

from crm.models import Lead, PipelineStage, Task
from outreach.models import Campaign
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
SHOTS = Path("/work/shots/dash")
PER_DAY = 14  # leads a day over the last 90 days
SOURCES = ["web_form", "referral", "social", "ads", "import"]


@pytest.fixture
def seeded(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="dash", name="Bright Path Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            now = timezone.now()
            won = PipelineStage.objects.get(name="Won")
            new = PipelineStage.objects.get(name="New")
            leads = [
                Lead(
                    email=f"lead{i}@{ws.slug}.example",
                    first_name=f"Lead{i}",
                    source=SOURCES[i % len(SOURCES)],
                    stage=won if i % 10 == 0 else new,
                    status="customer" if i % 10 == 0 else "new",
                    created_at=now - timedelta(days=(i // PER_DAY), hours=1),
                )
                for i in range(90 * PER_DAY)
            ]
            Lead.objects.bulk_create(leads)
            Task.objects.create(title="Call back", due_at=now - timedelta(days=1))
            Task.objects.create(title="Send the proposal", due_at=now + timedelta(days=2))
            for weeks, (name, opened, clicked) in enumerate(
                [("Spring cohort launch", 610, 122), ("Free guide: 5 lessons", 540, 80)]
            ):
                Campaign.objects.create(
                    name=name,
                    subject=name,
                    status=Campaign.Status.SENT,
                    started_at=now - timedelta(days=7 * (weeks + 1)),
                    sent_count=1260,
                    opened_count=opened,
                    clicked_count=clicked,
                )
        yield ws


@pytest.fixture
def empty(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="fresh", name="Fresh Start") as ws:
        yield ws


def _sign_in(page: Page, base: str, workspace: Workspace) -> None:
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/login/?next=/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        shutil.copy(ARTIFACTS / name, SHOTS / name)


def _at_phone_width(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 800})


def _chart_drawn(page: Page, canvas_id: str) -> bool:
    return bool(
        page.evaluate(
            "id => { const c = document.getElementById(id);"
            " return !!(c && window.Chart && Chart.getChart(c) && c.width > 0); }",
            canvas_id,
        )
    )


def test_the_dashboard_shows_numbers_charts_and_first_steps(
    seeded: Workspace, empty: Workspace, tmp_path
) -> None:
    port = free_port()
    with gunicorn_app(
        worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING"),
        log_path=tmp_path / "gunicorn.log",
        port=port,
    ):
        seeded_base = f"http://{seeded.primary_host}:{port}"
        empty_base = f"http://{empty.primary_host}:{port}"
        with chromium_page() as page:
            _sign_in(page, seeded_base, seeded)

            def stat(figure: str) -> Locator:
                return page.locator(f"[data-figure='{figure}'] .value")

            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
            expect(stat("total-leads")).to_have_text("1,260")
            expect(stat("new-leads")).to_have_text(f"{30 * PER_DAY:,}")
            expect(stat("conversion")).to_have_text("10%")
            expect(stat("tasks")).to_have_text("2")
            expect(page.locator("table.dash-campaigns")).to_contain_text("Spring cohort launch")
            expect(page.locator("table.dash-campaigns")).to_contain_text("48.4%")
            page.wait_for_load_state("networkidle")
            for chart in ("chart-leads-by-source", "chart-funnel", "chart-campaigns"):
                assert _chart_drawn(page, chart), chart
            _screenshot(page, "dashboard-30-days.png")

            page.get_by_role("navigation", name="Period").get_by_role("link", name="7 days").click()
            page.wait_for_url(f"{seeded_base}/?days=7")
            expect(stat("new-leads")).to_have_text(f"{7 * PER_DAY:,}")
            expect(page.locator("[data-figure='new-leads']")).to_contain_text("vs 98 before")
            expect(stat("total-leads")).to_have_text("1,260")
            assert _chart_drawn(page, "chart-leads-by-source")
            _screenshot(page, "dashboard-7-days.png")
            _at_phone_width(page, "dashboard-phone.png")

            # Another workspace: its own session, its own (empty) dashboard.
            page.context.clear_cookies()
            _sign_in(page, empty_base, empty)
            expect(page.get_by_role("heading", name="Get started")).to_be_visible()
            expect(page.locator(".step-list li")).to_have_count(4)
            expect(page.locator(".step-list")).to_contain_text("Add or import your leads")
            assert page.locator("canvas").count() == 0
            assert "1,260" not in page.content()
            _screenshot(page, "dashboard-first-steps.png")
            _at_phone_width(page, "dashboard-first-steps-phone.png")

            # That session opens the first workspace: signed in there it is not.
            page.goto(f"{seeded_base}/")
            page.wait_for_url(f"{seeded_base}/login/?next=/")
            assert "1,260" not in page.content()
