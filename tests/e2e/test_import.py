"""A coach imports a CSV in a real browser (the app under gunicorn, a real Celery worker doing
the checking and the writing): upload a file with one bad row, see the error with its row
number, upload the fixed file, import, watch the progress bar reach done without a reload,
and find the leads in /leads/. The same pages at 390 px scroll nothing sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Lead
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import celery_worker, committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
HEADER = "First Name,Last name,E-mail,Company name,Tags\n"
ROWS = [f"Reader{i},Okafor,reader{i}@import.example,Cohort {i},spring\n" for i in range(6)]
BAD_ROW = "Bob,Builder,bob@,Fix It,\n"
FIXED_ROW = "Bob,Builder,bob@import.example,Fix It,\n"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="importer", name="Import Coaching") as ws:
        yield ws


def test_a_coach_fixes_a_bad_row_and_imports_with_progress(
    workspace: Workspace, django_db_blocker, tmp_path: Path
) -> None:
    bad = tmp_path / "leads.csv"
    bad.write_text(HEADER + ROWS[0] + ROWS[1] + BAD_ROW + "".join(ROWS[2:]))
    fixed = tmp_path / "leads-fixed.csv"
    fixed.write_text(HEADER + ROWS[0] + ROWS[1] + FIXED_ROW + "".join(ROWS[2:]))
    port = free_port()
    # Every check and write goes to the worker, so the page is seen polling.
    app_env = {
        "CRM_PUBLIC_PORT": str(port),
        "CRM_IMPORT_SYNC_MAX_ROWS": "0",
        "LOG_LEVEL": "WARNING",
    }
    with celery_worker(tmp_path, env=app_env) as worker:
        web_log = tmp_path / "gunicorn.log"
        with gunicorn_app(
            worker_env(CRM_CELERY_QUEUE=worker.queue, **app_env), log_path=web_log, port=port
        ):
            try:
                _journey(f"http://{workspace.primary_host}:{port}", workspace, bad, fixed)
            except Exception as error:
                raise AssertionError(
                    f"{error}\n--- worker log ---\n{worker.log()[-6000:]}"
                    f"\n--- web log ---\n{web_log.read_text()[-6000:]}"
                ) from error
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        emails = sorted(str(email) for email in Lead.objects.values_list("email", flat=True))
    assert emails == sorted(
        [f"reader{i}@import.example" for i in range(6)] + ["bob@import.example"]
    )


def _journey(base: str, workspace: Workspace, bad: Path, fixed: Path) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/login/")
        page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/leads/import/")
        expect(page.get_by_role("heading", name="No imports yet")).to_be_visible()
        _upload_and_check(page, bad)
        problems = page.locator(".error-list li")
        expect(problems).to_have_count(1)
        expect(problems.first).to_have_text("Row 4 · E-mail 'bob@' is not a valid email address")
        expect(page.locator("tr.bad-row")).to_contain_text("bob@")
        expect(page.get_by_role("button", name="Import 6 good rows, skip 1")).to_be_visible()
        _screenshot(page, "import-preview-with-error.png")

        page.get_by_role("link", name="Upload a fixed file").click()
        _upload_and_check(page, fixed)
        expect(page.get_by_role("status")).to_contain_text("All 7 rows can be imported")
        page.get_by_role("button", name="Import 7 leads").click()
        page.wait_for_url(re.compile(r".*/leads/import/\d+/$"))
        status = page.locator("#import-status")
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        expect(status).to_have_attribute("data-status", "done", timeout=180_000)
        assert page.evaluate("window.__sameDocument === true")  # htmx swapped it in place
        expect(status).to_contain_text("100%")
        expect(status.locator(".tiles li").first).to_have_text("7created")
        assert status.get_attribute("hx-trigger") is None  # it stopped polling
        _screenshot(page, "import-done.png")
        done_url = page.url

        page.get_by_role("link", name="See the 7 imported leads").click()
        expect(page.locator("table.leads tbody tr")).to_have_count(7)
        page.goto(f"{base}/leads/")
        leads = page.locator("main")
        for email in ("bob@import.example", "reader0@import.example", "reader5@import.example"):
            expect(leads).to_contain_text(email)

        page.goto(f"{base}/leads/import/")
        expect(page.locator("table.imports tbody tr")).to_have_count(2)
        expect(page.locator("table.imports")).to_contain_text("7 created")
        _screenshot(page, "import-list.png")

        page.set_viewport_size({"width": 390, "height": 844})
        for url in (f"{base}/leads/import/", done_url):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "import-list-390.png"), full_page=True)


def _upload_and_check(page: Page, csv_path: Path) -> None:
    page.set_input_files("input[type=file]", str(csv_path))
    expect(page.locator("[data-file-name]")).to_contain_text(csv_path.name)
    page.get_by_role("button", name="Upload and choose columns").click()
    page.wait_for_url(re.compile(r".*/mapping/$"))
    expect(page.get_by_label("E-mail")).to_have_value("email")
    expect(page.get_by_label("First Name")).to_have_value("first_name")
    expect(page.get_by_label("Company name")).to_have_value("company")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    _screenshot(page, "import-mapping.png")
    page.get_by_role("button", name="Check the rows").click()
    page.wait_for_url(re.compile(r".*/leads/import/\d+/$"))
    # The worker checks the rows; the page polls and reloads itself with the preview.
    expect(
        page.get_by_role("heading", name="The first rows as they will be imported")
    ).to_be_visible(timeout=180_000)


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
