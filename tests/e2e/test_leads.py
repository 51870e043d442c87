"""The leads table in a real browser, the app under gunicorn: filter by a tag, tick rows,
tag them in bulk after a confirmation naming the count, see the toast and the new tags; add a
lead in the modal with its error shown inline; and no sideways scroll at 390 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Lead
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="leads", name="Table Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            Lead.objects.bulk_create(
                [
                    Lead(first_name=f"Webinar{i}", last_name="Guest", email=f"w{i}@x.example",
                         company="Acme", tags=["webinar"])
                    for i in range(6)
                ]
                + [Lead(first_name=f"Cold{i}", email=f"c{i}@x.example") for i in range(4)]
            )  # fmt: skip
        yield ws


def test_filter_select_and_tag_in_bulk_then_add_a_lead_in_the_modal(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    web_log = tmp_path / "gunicorn.log"
    with gunicorn_app(worker_env(LOG_LEVEL="WARNING"), log_path=web_log, port=port):
        base = f"http://{workspace.primary_host}:{port}"
        try:
            with chromium_page() as page:
                _journey(page, base, workspace)
        except Exception as error:
            raise AssertionError(
                f"{error}\n--- web log ---\n{web_log.read_text()[-6000:]}"
            ) from error
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        tagged = set(Lead.objects.filter(tags__contains=["vip"]).values_list("email", flat=True))
        added = Lead.objects.filter(email="ada@x.example").exists()
    assert len(tagged) == 3 and all(str(email).startswith("w") for email in tagged)
    assert added


def _journey(page: Page, base: str, workspace: Workspace) -> None:
    page.goto(f"{base}/leads/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/leads/")
    expect(page.locator("#lead-total")).to_have_text("10 leads")

    # Filter: the URL carries it, the total follows.
    page.get_by_placeholder("Tag", exact=True).fill("webinar")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(f"{base}/leads/?*tag=webinar*")
    expect(page.locator("#lead-total")).to_have_text("6 leads match the filters")
    _screenshot(page, "leads-filtered.png")

    # Tick three rows and tag them in bulk, after the confirmation.
    rows = page.locator("[data-row-select]")
    for index in range(3):
        rows.nth(index).check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 selected")
    page.get_by_label("Bulk action").select_option("tag")
    page.get_by_placeholder("Tags, comma separated").fill("vip")
    page.get_by_role("button", name="Apply…").click()
    dialog = page.locator("#lead-modal")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Tag 3 leads with vip?")
    _screenshot(page, "leads-bulk-confirm.png", full=False)
    dialog.get_by_role("button", name="Tag 3 leads").click()
    expect(page.get_by_role("status").filter(has_text="Tagged 3 leads with vip.")).to_be_visible()
    expect(page.locator("td.tags").filter(has_text="vip")).to_have_count(3)
    expect(page.locator("#lead-total")).to_have_text("6 leads match the filters")  # kept
    _screenshot(page, "leads-bulk-done.png")

    # Add a lead in the modal: the missing contact is shown next to the field, then it saves.
    page.get_by_role("link", name="Add a lead").first.click()
    expect(dialog.get_by_role("heading", name="Add a lead")).to_be_visible()
    dialog.get_by_label("First name").fill("Ada")
    dialog.get_by_role("button", name="Add the lead").click()
    expect(dialog.locator(".field-error")).to_contain_text("Give an email address or a phone")
    _screenshot(page, "leads-modal-error.png", full=False)
    dialog.get_by_label("Email").fill("ada@x.example")
    dialog.get_by_label("Tags").fill("webinar")
    dialog.get_by_role("button", name="Add the lead").click()
    expect(page.get_by_role("status").filter(has_text="Ada is added.")).to_be_visible()
    expect(page.locator("#lead-total")).to_have_text("7 leads match the filters")

    # A phone: nothing scrolls sideways; the table scrolls inside its box.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/leads/")
    expect(page.locator("#lead-total")).to_have_text("11 leads")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _screenshot(page, "leads-phone.png")


def _screenshot(page: Page, name: str, *, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)
