"""The SMS composer in a real browser (the app under gunicorn, Chromium): choosing SMS for
a new campaign, the live count that follows every keystroke (one emoji turns "1 segment of
160" into UCS-2's 67 a segment), its JavaScript giving the same numbers as
outreach.sms_segments.count_segments, the preview as sent (opt-out line added) refreshed by
the server; then an SMS campaign's results, and Settings → SMS connecting the Twilio double.
Every page fits a phone's 390 pixels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from outreach.models import Campaign
from outreach.sms_segments import count_segments, room_left
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.sms_campaigns import sent_sms_campaign
from tests.support.twilio_double import twilio_double
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
# Strings whose count the page's script must agree on with the server's.
SAMPLES = [
    "",
    "Hello",
    "a" * 160,
    "a" * 161,
    "€" * 80,  # an extension character counts 2: 160 septets in one segment
    "[x]" + "a" * 157,  # 2 + 1 + 2 + 157 = 162: two segments
    "a" * 152 + "€" + "a" * 10,  # the € does not fit the first part's last septet
    "Hi 🎉",
    "🎉" * 35,  # 70 UTF-16 units: one segment
    "a" * 66 + "🎉" + "b",  # the emoji's two units do not split across segments
    "Grüße, ça va? Ελλάδα",
    "Line one\nLine two",
]

WRITTEN = (
    'Hi {{ lead.first_name | default: "there" }}, the spring cohort opens Monday 🎉 '
    "Reply YES and we'll keep you a seat."
)


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="texts", name="Harbour Coaching") as ws:
        with django_db_blocker.unblock():
            sent_sms_campaign(ws, name="Autumn intake reminder")
        yield ws


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391).slice(0, 8)"
        ".map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (name, wide)
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_composer_counts_as_you_type_and_agrees_with_the_server(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with twilio_double() as twilio:
        account = twilio.add_account(friendly_name="Harbour Coaching")
        env = worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING", TWILIO_API_BASE=twilio.url)
        with gunicorn_app(env, log_path=log, port=port), chromium_page() as page:
            base = f"http://{workspace.primary_host}:{port}"
            try:
                _journey(page, base, workspace, account)
            except Exception as error:
                raise AssertionError(
                    f"{error}\n--- web log ---\n{log.read_text()[-6000:]}"
                ) from error
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        saved = Campaign.objects.get(name="Spring texts")
        assert saved.channel == "sms"
        assert saved.body_template == WRITTEN


def _journey(page: Page, base: str, workspace: Workspace, account) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")

    # Email or SMS, chosen before anything is written.
    page.goto(f"{base}/campaigns/new/")
    choice = page.get_by_test_id("channel-choice")
    expect(choice.get_by_role("link", name="Email")).to_have_attribute("aria-current", "page")
    _shot(page, "sms-channel-choice")
    choice.get_by_role("link", name="SMS").click()
    expect(page.get_by_role("heading", name="The text message")).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_count(0)

    counter = page.get_by_test_id("sms-counter")
    expect(counter).to_have_text("0 characters · GSM-7 · 0 segments of 160 · 160 left")
    page.get_by_label("Campaign name").fill("Spring texts")
    message = page.get_by_label("Message")
    message.press_sequentially("a" * 70)
    expect(counter).to_have_text("70 characters · GSM-7 · 1 segment of 160 · 90 left")
    message.press_sequentially("🎉")
    expect(counter).to_have_text("71 characters · UCS-2 · 2 segments of 67 · 62 left")
    message.press("Backspace")
    expect(counter).to_have_text("70 characters · GSM-7 · 1 segment of 160 · 90 left")
    message.press_sequentially("🎉")

    # The preview is the server's: as sent, with the opt-out line, for a sample lead.
    preview = page.get_by_test_id("sms-preview-text")
    expect(preview).to_have_text("a" * 70 + "🎉\nReply STOP to opt out", use_inner_text=True)
    expect(page.get_by_test_id("sms-preview-segments")).to_have_text("2 segments")

    for text in SAMPLES:
        expected = count_segments(text)
        counted = page.evaluate("text => window.SmsCounter.count(text)", text)
        assert counted["encoding"] == expected.encoding.value, text
        assert counted["characters"] == expected.characters, text
        assert counted["units"] == expected.units, text
        assert counted["segments"] == expected.segments, text
        assert counted["perSegment"] == expected.per_segment, text
        assert counted["left"] == room_left(text), text

    # A real message, for the screenshot: merge fields rendered for the sample lead.
    message.fill(WRITTEN)
    expect(preview).to_contain_text("Hi Ada, the spring cohort opens Monday")
    expect(counter).to_contain_text(f"{len(WRITTEN)} characters · UCS-2")
    _shot(page, "sms-editor")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Text me a test")).to_be_visible()

    # A campaign that went out: its results.
    page.goto(f"{base}/campaigns/")
    expect(page.get_by_test_id("campaign-channel").first).to_have_text("SMS")
    page.get_by_role("link", name="Autumn intake reminder").click()
    results = page.get_by_test_id("sms-results")
    expect(results.locator("li").last).to_have_text("4segments used")
    expect(results).to_contain_text("opted out")
    expect(page.get_by_text("Twilio: landline (30006)")).to_be_visible()
    _shot(page, "sms-results")

    # Settings → SMS: connect the Twilio double.
    page.goto(f"{base}/settings/")
    page.get_by_role("link", name="SMS Connect your Twilio account").click()
    page.get_by_label("Account SID").fill(account.sid)
    page.get_by_label("Auth token").fill(account.auth_token)
    page.get_by_label("Sender number").fill("+1 415 555 0100")
    page.get_by_label("Answer to HELP").fill("Harbour Coaching: class reminders. STOP to opt out.")
    page.get_by_role("button", name="Connect Twilio").click()
    expect(page.get_by_text("Connected", exact=True)).to_be_visible()
    expect(page.get_by_test_id("inbound-url")).to_contain_text("/webhooks/twilio/inbound")
    assert account.auth_token not in page.content()
    _shot(page, "sms-settings")
