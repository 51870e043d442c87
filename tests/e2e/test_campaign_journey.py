"""A coach's campaign, end to end in a real browser: the app under gunicorn, a real Celery
worker and the Postmark double. Sign in, add the postal address, write a campaign to the
leads tagged for it while the live count follows, send it, watch the progress reach Sent
without a reload, then a reader unsubscribes from the link in the email they got."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Lead
from outreach.models import Campaign
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import celery_worker, committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
TAGGED = 20  # leads the campaign is for
OTHERS = 3  # leads without the tag: counted before the tag is typed, never mailed
POSTAL_ADDRESS = "Journey Coaching\n12 Harbour Road\nBristol BS1 5TY"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    """Committed rows: the web and worker processes see only those."""
    with committed_workspace(django_db_blocker, prefix="journey", name="Journey Coaching") as ws:
        slug = ws.slug
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            Lead.objects.bulk_create(
                [
                    Lead(
                        first_name=f"Reader{i}", email=f"reader{i}@{slug}.example", tags=["spring"]
                    )
                    for i in range(TAGGED)
                ]
                + [
                    Lead(first_name=f"Other{i}", email=f"other{i}@{slug}.example")
                    for i in range(OTHERS)
                ]
            )
        yield ws


def _unsubscribe_link(email: dict) -> str:
    headers = {header["Name"]: header["Value"] for header in email.get("Headers", [])}
    found = re.search(r"<(https?://[^>]+)>", headers.get("List-Unsubscribe", ""))
    if found:
        return found.group(1)
    match = re.search(r"Unsubscribe: (\S+)", email["TextBody"])
    assert match, email["TextBody"]
    return match.group(1)


def test_coach_sends_a_campaign_and_a_reader_unsubscribes(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    with fake_postmark() as postmark:
        # Postmark holds its answer back a little, so the page is seen while it sends.
        postmark.respond_delay = 2.0
        app_env = {
            "POSTMARK_SERVER_TOKEN": "server-token-journey",
            "POSTMARK_API_URL": postmark.url,
            "CRM_PUBLIC_PORT": str(port),
            "CRM_EMAIL_SEND_RATE": "100000",
            "LOG_LEVEL": "WARNING",
        }
        with celery_worker(tmp_path, env=app_env) as worker:
            web_log = tmp_path / "gunicorn.log"
            web_env = worker_env(CRM_CELERY_QUEUE=worker.queue, **app_env)
            with gunicorn_app(web_env, log_path=web_log, port=port):
                try:
                    _journey(workspace, port, postmark, django_db_blocker)
                except Exception as error:
                    raise AssertionError(
                        f"{error}\n--- worker log ---\n{worker.log()[-6000:]}"
                        f"\n--- web log ---\n{web_log.read_text()[-6000:]}"
                    ) from error


def _journey(workspace: Workspace, port: int, postmark: FakePostmark, django_db_blocker) -> None:
    base = f"http://{workspace.primary_host}:{port}"
    with chromium_page() as page:
        _sign_in(page, base, workspace)
        _add_postal_address(page)
        campaign_url = _write_campaign(page)
        _send_and_watch(page, campaign_url)

        tagged = {f"reader{i}@{workspace.slug}.example" for i in range(TAGGED)}
        received = Counter(postmark.accepted_to())
        assert set(received) == tagged
        assert set(received.values()) == {1}
        email = postmark.received[0]
        assert "12 Harbour Road, Bristol BS1 5TY" in email["TextBody"]

        # The reader opens the link in their own browser, signed in nowhere.
        reader = page.context.browser.new_page()  # type: ignore[union-attr]
        _unsubscribe(reader, _unsubscribe_link(email), email["To"], base)
        page.goto(f"{base}/campaigns/")
        expect(page.locator("table.campaigns")).to_contain_text("Spring cohort")
        _screenshot(page, "campaigns-list.png")

    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        lead = Lead.objects.get(email=email["To"])
        campaign = Campaign.objects.get()
    assert lead.unsubscribed_at is not None
    assert campaign.status == "sent"
    assert campaign.sent_count == TAGGED
    assert campaign.unsubscribed_count == 1


def _sign_in(page: Page, base: str, workspace: Workspace) -> None:
    page.goto(f"{base}/")
    page.wait_for_url(f"{base}/login/?next=/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def _add_postal_address(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Email settings").click()
    expect(page.get_by_role("heading", name="Email settings", exact=True)).to_be_visible()
    page.get_by_label("Postal address").fill(POSTAL_ADDRESS)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("Saved.")
    expect(page.get_by_label("Postal address")).to_have_value(POSTAL_ADDRESS)
    page.get_by_role("button", name="Create the webhook password").click()
    credentials = page.get_by_test_id("webhook-credentials")
    expect(credentials).to_contain_text("the password is shown only once")
    expect(credentials).to_contain_text("/webhooks/postmark")
    _screenshot(page, "email-settings.png")


def _write_campaign(page: Page) -> str:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", name="No campaigns yet")).to_be_visible()
    page.get_by_role("link", name="New campaign").click()
    count = page.locator("#audience-count")
    expect(count).to_have_text(f"{TAGGED + OTHERS} leads match now")

    page.get_by_label("Campaign name").fill("Spring cohort")
    page.get_by_label("Subject").fill("{{ lead.first_name }}, the spring cohort opens Monday")
    page.get_by_label("Text", exact=True).fill(
        "Hi {{ lead.first_name | default: 'there' }},\n\n"
        "The spring cohort of {{ workspace.name }} opens on Monday. Reply to save a seat."
    )
    page.get_by_label("Tags").fill("spring")
    expect(count).to_have_text(f"{TAGGED} leads match now")  # live, without a reload
    page.get_by_label("Status").select_option("lost")
    expect(count).to_have_text("0 leads match now")
    page.get_by_label("Status").select_option("")
    expect(count).to_have_text(f"{TAGGED} leads match now")
    _screenshot(page, "campaign-form.png")

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    expect(page.get_by_role("heading", name="Spring cohort")).to_be_visible()
    expect(page.get_by_test_id("preview-subject")).to_have_text(
        "Reader0, the spring cohort opens Monday"
    )
    preview = page.frame_locator("iframe.email-html")
    expect(preview.locator("body")).to_contain_text("The spring cohort of Journey Coaching")
    return page.url


def _send_and_watch(page: Page, campaign_url: str) -> None:
    live = page.locator("#campaign-live")
    expect(live).to_contain_text(f"{TAGGED} leads match now")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now").click()
    page.wait_for_url(campaign_url)
    expect(live).to_have_attribute("data-status", "sending")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded

    expect(live).to_have_attribute("data-status", "sent", timeout=60_000)

    assert page.evaluate("window.__sameDocument === true")
    expect(page.locator("#campaign-status")).to_have_text("Sent")
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    expect(live).to_contain_text("100.0%")
    expect(live).to_contain_text(f"{TAGGED} accepted by Postmark")
    sent_tile = live.locator(".tiles li").first
    expect(sent_tile.locator(".num")).to_have_text(str(TAGGED))
    expect(sent_tile.locator(".label")).to_have_text("sent")
    assert live.get_attribute("hx-trigger") is None  # it stopped polling
    messages = page.locator("#campaign-messages tbody tr")
    expect(messages).to_have_count(TAGGED)
    expect(messages.first).to_contain_text("Sent")
    _screenshot(page, "campaign-sent.png")


def _unsubscribe(page: Page, link: str, address: str, base: str) -> None:
    assert link.startswith(f"{base}/unsubscribe/"), link
    page.goto(link)
    expect(page.get_by_role("heading", name="Unsubscribe from Journey Coaching?")).to_be_visible()
    expect(page.locator("main")).to_contain_text(address)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    _screenshot(page, "campaign-unsubscribed.png")


def _screenshot(page: Page, name: str) -> None:
    """The whole page. The viewport is made as tall as the page first: headless Chromium
    leaves a sandboxed iframe (the HTML preview) blank outside the viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": 1280, "height": max(height, 800)})
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
