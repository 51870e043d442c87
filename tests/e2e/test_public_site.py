"""The public site in a real browser, served by gunicorn: the landing page at laptop and
phone width (nothing scrolls sideways), pricing's period switch, joining the waitlist twice
in another letter case, and "find my workspace" ending in the email at the Postmark double
whose link opens the workspace's sign-in page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from tenants.models import WaitlistEntry, Workspace
from tests.support.browser import chromium_page
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, wait_for, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="public", name="Harbour Coaching") as ws:
        yield ws


@pytest.fixture
def waitlist_suffix(django_db_blocker) -> Iterator[str]:
    """The domain this test's waitlist addresses use; its committed rows go afterwards."""
    suffix = f"wl-{uuid.uuid4().hex[:8]}.example"
    yield suffix
    with django_db_blocker.unblock(), schema_context("public"):
        WaitlistEntry.objects.filter(email__iendswith=suffix).delete()


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"public-{name}"), full_page=True)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_visitor_reads_the_site_joins_the_waitlist_and_finds_their_workspace(
    workspace: Workspace, waitlist_suffix: str, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    with fake_postmark() as postmark:
        env = worker_env(
            POSTMARK_SERVER_TOKEN="server-token-public",
            POSTMARK_API_URL=postmark.url,
            CRM_PUBLIC_PORT=str(port),
            LOG_LEVEL="WARNING",
        )
        web_log = tmp_path / "gunicorn.log"
        with gunicorn_app(env, log_path=web_log, port=port):
            try:
                _journey(f"http://localhost:{port}", workspace, waitlist_suffix, postmark)
            except Exception as error:
                log = web_log.read_text()[-6000:]
                raise AssertionError(f"{error}\n--- web log ---\n{log}") from error

    with django_db_blocker.unblock(), schema_context("public"):
        entries = list(
            WaitlistEntry.objects.filter(email__iendswith=waitlist_suffix).values_list(
                "email", flat=True
            )
        )
    assert entries == [f"Ada@{waitlist_suffix}"]


def _journey(apex: str, workspace: Workspace, suffix: str, postmark: FakePostmark) -> None:
    with chromium_page() as page:
        page.goto(f"{apex}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Every lead, call and launch")
        expect(page.locator("#plan-free")).to_contain_text("$0")
        expect(page.locator("#plan-free")).to_contain_text("1,000 leads")
        _screenshot(page, "landing-1280.png")

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{apex}/")
        expect(page.get_by_role("link", name="Sign up free")).to_be_visible()
        _no_sideways_scroll(page)
        _screenshot(page, "landing-390.png")

        _pricing_switch(page, apex)
        _join_waitlist(page, apex, suffix)
        _find_workspace(page, apex, workspace, postmark)


def _pricing_switch(page: Page, apex: str) -> None:
    page.goto(f"{apex}/pricing/")
    free = page.locator("#plan-free")
    expect(free.locator(".price-monthly")).to_be_visible()
    page.get_by_role("button", name="Yearly").click()
    expect(free.locator(".price-yearly")).to_be_visible()
    expect(free.locator(".price-monthly")).to_be_hidden()
    expect(page.get_by_role("button", name="Yearly")).to_have_attribute("aria-pressed", "true")
    _no_sideways_scroll(page)
    _screenshot(page, "pricing-390.png")


def _join_waitlist(page: Page, apex: str, suffix: str) -> None:
    page.goto(f"{apex}/#waitlist")
    panel = page.locator("#waitlist-panel")
    panel.get_by_label("Your email").fill("not an address")
    panel.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("#waitlist-panel .field-error")).to_contain_text(
        "Enter a valid email address"
    )

    page.locator("#waitlist-panel").get_by_label("Your email").fill(f"Ada@{suffix}")
    page.locator("#waitlist-panel").get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("status").filter(has_text="You are on the list")).to_be_visible()
    _no_sideways_scroll(page)
    _screenshot(page, "waitlist-joined-390.png")

    # The same person again, typing in another case: the same confirmation, no second row.
    page.goto(f"{apex}/pricing/")
    page.locator("#waitlist-panel").get_by_label("Your email").fill(f"ada@{suffix.upper()}")
    page.locator("#waitlist-panel").get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_role("status").filter(has_text="You are on the list")).to_be_visible()


def _find_workspace(page: Page, apex: str, workspace: Workspace, postmark: FakePostmark) -> None:
    page.goto(f"{apex}/")
    page.get_by_role("link", name="Already have one? Find it").click()
    page.wait_for_url(f"{apex}/find-workspace/")
    owner = f"owner@{workspace.slug}.example"
    page.get_by_label("Your email").fill(owner.upper())
    page.get_by_role("button", name="Email me my workspaces").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(owner.upper())
    _no_sideways_scroll(page)
    _screenshot(page, "find-workspace-sent-390.png")

    sent = wait_for(lambda: postmark.received, timeout=10, message="no email at Postmark")
    [email] = sent
    assert email["To"] == owner.upper()
    assert "Harbour Coaching" in email["TextBody"]
    link = re.search(r"(http://\S+/login/)", email["TextBody"])
    assert link, email["TextBody"]
    assert link.group(1) == f"http://{workspace.primary_host}:{apex.rsplit(':', 1)[1]}/login/"

    page.goto(link.group(1))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
