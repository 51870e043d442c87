"""A coach answers a lead's text in a real browser, the app under gunicorn: Twilio's signed
callbacks reach the workspace's own URLs over HTTP (the delivered receipt of a campaign text
and the lead's reply), the lead page's Texts tab shows the conversation, counts the reply's
characters and segments as it is typed and queues it; the same page on a phone is no wider
than the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from crm.models import Lead, Message
from sms.callback_urls import inbound_url
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import free_port, gunicorn_app
from tests.support.sms import SENDER, add_textable_leads, connect_twilio
from tests.support.sms_texts import send_text, sms_campaign
from tests.support.twilio_double import TwilioDouble
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/shots-webhooks")  # looked at by a person, never committed
LEAD_PHONE = "+14155552000"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="texts", name="Harbour Coaching") as ws:
        yield ws


# The panel and the thread load by htmx once the panel is in view: on a busy machine (the
# suite on 2 cores) that takes longer than the default 5 s.
PANEL_WAIT_MS = 20_000


def test_a_coach_sees_a_reply_and_answers_it_from_the_lead_page(
    workspace: Workspace, twilio: TwilioDouble, django_db_blocker, tmp_path
) -> None:
    port = free_port()
    web_log = tmp_path / "gunicorn.log"
    with (
        override_settings(CRM_PUBLIC_PORT=str(port)),  # the URLs Twilio is given name this port
        django_db_blocker.unblock(),
    ):
        account, _ = connect_twilio(workspace, twilio)
        [lead_id] = add_textable_leads(workspace, 1, last_name="Okafor")
        [opted_out] = add_textable_leads(
            workspace, 1, start=3000, last_name="Stopped", sms_consent="opted_out"
        )
        campaign_id = sms_campaign(workspace, "Spring cohort")
        text = send_text(
            workspace,
            lead_id,
            campaign_id=campaign_id,
            body="Hi Name0, the spring cohort opens Monday. Reply STOP to opt out",
        )
        env = worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING")
        with gunicorn_app(env, log_path=web_log, port=port):
            try:
                assert twilio.status_callback(text.sid, "delivered") == 200
                status, twiml = twilio.inbound(
                    inbound_url(workspace), LEAD_PHONE, SENDER,
                    "Is there a payment plan? 🙏", account.sid,
                )  # fmt: skip
                assert status == 200 and "<Message>" not in twiml
                _journey(workspace, f"http://{workspace.primary_host}:{port}", lead_id, opted_out)
            except Exception as error:
                log = web_log.read_text()[-6000:]
                raise AssertionError(f"{error}\n--- web log ---\n{log}") from error
        with schema_context(workspace.schema_name):
            reply = Message.objects.select_related("author").get(
                lead_id=lead_id, channel="sms", status="queued"
            )
            lead = Lead.objects.get(pk=lead_id)
    assert reply.body == "Yes: three monthly payments, Name0."
    assert reply.author is not None and reply.author.email == f"owner@{workspace.slug}.example"
    assert reply.to_phone == lead.phone


def _journey(workspace: Workspace, base: str, lead_id: int, opted_out: int) -> None:
    with chromium_page() as page:
        page.goto(f"{base}/login/?next=/leads/{lead_id}/")
        page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Name0 Okafor")).to_be_visible()

        page.get_by_role("tab", name="Texts").click()
        thread = page.locator("#lead-sms-thread")
        expect(thread).to_contain_text("Is there a payment plan? 🙏", timeout=PANEL_WAIT_MS)
        expect(thread).to_contain_text(
            "Spring cohort · 1 segment · Delivered", timeout=PANEL_WAIT_MS
        )
        expect(thread).to_contain_text("SMS: Opted in · Web form", timeout=PANEL_WAIT_MS)

        box = page.get_by_label("Reply")
        box.fill("Yes: three monthly payments, {{ lead.first_name }}.")
        expect(page.locator("#lead-sms-count")).to_contain_text("51 characters · 1 segment")
        box.press_sequentially(" 🙂")
        expect(page.locator("#lead-sms-count")).to_contain_text("UCS-2")
        box.fill("Yes: three monthly payments, {{ lead.first_name }}.")
        page.get_by_role("button", name="Send text").click()
        expect(page.locator("#lead-sms-compose")).to_contain_text(
            f"Queued to {LEAD_PHONE}", timeout=PANEL_WAIT_MS
        )
        expect(thread).to_contain_text("Yes: three monthly payments, Name0.", timeout=PANEL_WAIT_MS)
        expect(page.locator("#lead-timeline")).to_contain_text("Text received")
        _screenshot(page, "lead-sms-1280.png")

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.get_by_role("tab", name="Texts").click()
        # On a phone the panel is below the fold: it loads when it scrolls into view.
        page.locator("#panel-sms").scroll_into_view_if_needed()
        expect(thread).to_contain_text("Yes: three monthly payments, Name0.", timeout=PANEL_WAIT_MS)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#panel-sms").scroll_into_view_if_needed()
        _screenshot(page, "lead-sms-390.png")

        # A lead who replied STOP: the box is off and says why.
        page.goto(f"{base}/leads/{opted_out}/")
        page.get_by_role("tab", name="Texts").click()
        page.locator("#panel-sms").scroll_into_view_if_needed()
        expect(page.locator("#lead-sms-compose")).to_contain_text(
            "Texting is off for this lead", timeout=PANEL_WAIT_MS
        )
        expect(page.get_by_label("Reply")).to_be_disabled()
        expect(page.get_by_role("button", name="Send text")).to_be_disabled()
        page.locator("#panel-sms").scroll_into_view_if_needed()
        _screenshot(page, "lead-sms-stopped-390.png")


def _screenshot(page: Page, name: str) -> None:
    """The whole page, and what the screen shows of the Texts panel."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.screenshot(path=str(SHOTS / f"panel-{name}"))
