"""Settings and team in a real browser: reorder the pipeline by dragging a stage (the order
persists across a reload) and by the keyboard's buttons, withdraw an invitation through its
confirmation, and a mistyped address is the friendly 404 page; nothing scrolls sideways on
a phone."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.services.team import invite_member
from crm.models import PipelineStage
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
STAGES = ["Interested", "Call booked", "Proposal sent", "Enrolled"]


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="settings", name="Harbour Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            PipelineStage.objects.all().delete()
            for order, name in enumerate(STAGES):
                PipelineStage.objects.create(name=name, order=order)
            owner = User.objects.get(email=f"owner@{ws.slug}.example")
            invite_member(actor=owner, email="sam@harbour.example", role="member", base_url=ws.url)
        yield ws


def _stage_order(django_db_blocker, workspace: Workspace) -> list[str]:
    """The order in the database, read from a thread of its own: Playwright's sync API runs
    an event loop in this one, where Django refuses to query."""

    def read() -> list[str]:
        with django_db_blocker.unblock(), schema_context(workspace.schema_name):
            try:
                return list(PipelineStage.objects.order_by("order").values_list("name", flat=True))
            finally:
                connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(read).result()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _fits_a_phone(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    # What sticks out, if anything does: named in the failure.
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391).slice(0, 8)"
        ".map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (name, wide)
    _shot(page, f"{name}-390.png")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_settings_reorder_revoke_and_the_friendly_404(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    env = worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING")
    log = tmp_path / "gunicorn.log"
    with gunicorn_app(env, log_path=log, port=port), chromium_page() as page:
        base = f"http://{workspace.primary_host}:{port}"
        try:
            _journey(page, base, workspace, django_db_blocker)
        except Exception as error:
            raise AssertionError(f"{error}\n--- web log ---\n{log.read_text()[-6000:]}") from error


def _journey(page: Page, base: str, workspace: Workspace, django_db_blocker) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Billing")).to_be_visible()
    _shot(page, "settings-index.png")
    _fits_a_phone(page, "settings-index")

    # Drag "Enrolled" by its handle above "Interested".
    page.get_by_role("link", name="Pipeline stages").click()
    rows = page.locator("[data-stage-id]")
    expect(rows).to_have_count(4)
    rows.nth(3).locator(".drag-handle").drag_to(rows.nth(0), target_position={"x": 20, "y": 5})
    expect(page.locator("[data-reorder-status]")).to_have_text("Order saved.")
    assert _stage_order(django_db_blocker, workspace) == [
        "Enrolled",
        "Interested",
        "Call booked",
        "Proposal sent",
    ]
    page.reload()
    names = page.locator("[data-stage-id] input[name=name]")
    expect(names.first).to_have_value("Enrolled")

    # Without a mouse: the down button moves "Enrolled" back one step.
    page.get_by_role("button", name="Move Enrolled down").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/settings/stages/#stage-*")
    expect(names.nth(1)).to_have_value("Enrolled")
    assert _stage_order(django_db_blocker, workspace)[:2] == ["Interested", "Enrolled"]
    _shot(page, "settings-stages.png")
    _fits_a_phone(page, "settings-stages")

    # Withdraw the invitation: the confirmation says what happens, then it is gone.
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Team").click()
    expect(page.get_by_role("table").nth(1)).to_contain_text("sam@harbour.example")
    _shot(page, "team.png")
    _fits_a_phone(page, "team")
    page.get_by_role("link", name="Revoke the invitation to sam@harbour.example").click()
    expect(page.get_by_role("heading", name="Withdraw the invitation to sam@harbour.example?"))
    expect(page.locator(".consequences")).to_contain_text("stops working at once")
    _shot(page, "invitation-revoke-confirm.png")
    _fits_a_phone(page, "invitation-revoke-confirm")
    page.get_by_role("button", name="Withdraw the invitation").click()
    page.wait_for_url(f"{base}/team/")
    expect(page.get_by_role("status").first).to_contain_text("is withdrawn")
    expect(page.get_by_text("No invitation is waiting for an answer.")).to_be_visible()

    # A mistyped address.
    page.goto(f"{base}/setings/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("link", name="Go to the dashboard")).to_be_visible()
    _shot(page, "error-404.png")
    _fits_a_phone(page, "error-404")
