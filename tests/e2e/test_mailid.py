"""Campaign extras and the sending identity in a real browser (the app under gunicorn, the
Postmark double with its account API): insert merge fields from the picker at the cursor,
duplicate a campaign, see every recipient by status, register the workspace's domain, read
its DNS records, verify it once they are "published", and check that nothing scrolls
sideways on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, ViewportSize, expect

from crm.models import Lead
from outreach.models import Campaign, EmailSettings, SendingDomain
from outreach.services.campaigns import create_campaign
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="mailid", name="Harbour Yoga") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            Lead.objects.bulk_create(
                [
                    Lead(first_name=f"Reader{i}", email=f"reader{i}@{ws.slug}.example")
                    for i in range(3)
                ]
            )
            EmailSettings.objects.update_or_create(
                pk=1, defaults={"postal_address": "Harbour Yoga\n3 Quay Street\nBristol"}
            )
            create_campaign(
                actor=None,
                name="Autumn retreat",
                subject="Hello {{ lead.first_name }}",
                body_template="Hi {{ lead.first_name | default: 'there' }},\n\nThe retreat opens.",
                audience={},
            )
        yield ws


def test_campaign_extras_and_sending_domain(workspace: Workspace, django_db_blocker, tmp_path):
    port = free_port()
    with fake_postmark() as postmark:
        env = {
            "POSTMARK_API_URL": postmark.url,
            "POSTMARK_ACCOUNT_TOKEN": postmark.account_token,
            "CRM_PUBLIC_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        log = tmp_path / "gunicorn.log"
        with gunicorn_app(worker_env(**env), log_path=log, port=port):
            try:
                _journey(workspace, port, postmark, django_db_blocker)
            except Exception as error:
                web_log = log.read_text()[-6000:]
                raise AssertionError(f"{error}\n--- web log ---\n{web_log}") from error


def _journey(workspace: Workspace, port: int, postmark: FakePostmark, django_db_blocker) -> None:
    base = f"http://{workspace.primary_host}:{port}"
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        original = Campaign.objects.get()
    with chromium_page() as page:
        page.goto(f"{base}/")
        page.wait_for_url(f"{base}/login/?next=/")
        page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
        page.get_by_label("Password").fill(OWNER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")

        copy_id = _duplicate(page, base, original.pk)
        _pick_merge_fields(page, base, copy_id)
        _recipients(page, base, original.pk)
        _sending_domain(page, base, postmark)

    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        copy = Campaign.objects.get(pk=copy_id)
        domain = SendingDomain.objects.get()
    assert copy.name == "Copy of Autumn retreat" and copy.status == "draft"
    assert copy.subject == "{{ lead.first_name }}, Hello {{ lead.first_name }}"
    assert copy.body_template.startswith("Hi {{ lead.full_name }}")
    assert domain.name == "harbouryoga.com" and domain.dkim_verified


def _duplicate(page: Page, base: str, campaign_id: int) -> int:
    page.goto(f"{base}/campaigns/{campaign_id}/")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", name="Edit draft")).to_be_visible()
    expect(page.locator(".toasts")).to_contain_text("“Copy of Autumn retreat” is a new draft")
    expect(page.get_by_label("Campaign name")).to_have_value("Copy of Autumn retreat")
    return int(page.url.rstrip("/").split("/")[-2])


def _pick_merge_fields(page: Page, base: str, campaign_id: int) -> None:
    picker = page.locator("[data-merge-picker]")
    expect(picker).to_contain_text("Unsubscribe link")
    subject = page.get_by_label("Subject")
    subject.click()
    subject.press("Home")  # the cursor before "Hello {{ lead.first_name }}"
    picker.get_by_role("button", name="First name").click()
    expect(page.locator("[data-merge-target-name]")).to_have_text("Subject")
    page.keyboard.type(", ")  # the focus is back in the subject, after what was inserted
    expect(subject).to_have_value("{{ lead.first_name }}, Hello {{ lead.first_name }}")

    text = page.get_by_label("Text")
    text.click()
    text.press("Control+Home")
    for _ in range(len("Hi ")):
        text.press("ArrowRight")
    for _ in range(len("{{ lead.first_name | default: 'there' }}")):
        text.press("Shift+ArrowRight")  # a selection: the picker replaces it
    picker.get_by_role("button", name="Full name").click()
    expect(page.locator("[data-merge-target-name]")).to_have_text("Text")
    expect(text).to_have_value("Hi {{ lead.full_name }},\n\nThe retreat opens.")
    _both_widths(page, "campaign-form-merge-picker")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("preview-subject")).to_have_text("Reader0, Hello Reader0")


def _recipients(page: Page, base: str, campaign_id: int) -> None:
    page.goto(f"{base}/campaigns/{campaign_id}/recipients/")
    expect(page.get_by_role("heading", name="Not sent yet")).to_be_visible()
    expect(page.get_by_role("navigation", name="Filter by status")).to_have_count(0)
    _both_widths(page, "campaign-recipients")


def _sending_domain(page: Page, base: str, postmark: FakePostmark) -> None:
    page.goto(f"{base}/settings/sending/")
    identity = page.get_by_test_id("identity")
    expect(identity).to_contain_text("Harbour Yoga <no-reply@localhost>")
    page.get_by_label("From name").fill("Harbour Yoga Studio")
    page.get_by_label("From address").fill("hello@harbouryoga.com")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(identity).to_contain_text("Harbour Yoga Studio <no-reply@localhost>")
    expect(identity).to_contain_text("hello@harbouryoga.com")

    domain_field = page.get_by_label("Your domain")
    expect(domain_field).to_have_value("harbouryoga.com")  # taken from the From address
    domain_field.fill("not a domain")
    page.get_by_role("button", name="Register the domain").click()
    expect(page.locator(".field-error")).to_contain_text("is not a domain name")
    page.get_by_label("Your domain").fill("harbouryoga.com")
    page.get_by_role("button", name="Register the domain").click()
    at_postmark = postmark.domain_named("harbouryoga.com")
    assert at_postmark is not None
    records = page.get_by_test_id("dns-records")
    expect(page.get_by_test_id("dkim-host")).to_have_text(at_postmark["DKIMPendingHost"])
    expect(page.get_by_test_id("dkim-value")).to_have_text(at_postmark["DKIMPendingTextValue"])
    expect(page.get_by_test_id("return-path-host")).to_have_text("pm-bounces.harbouryoga.com")
    expect(page.get_by_test_id("return-path-value")).to_have_text("pm.mtasv.net")
    expect(page.get_by_test_id("domain-status")).to_have_text("Waiting for DNS")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy_button = records.locator(f'button[data-copy="{at_postmark["DKIMPendingTextValue"]}"]')
    expect(copy_button).to_have_accessible_name("Copy the DKIM value")
    copy_button.click()
    expect(copy_button).to_contain_text("Copied")
    _both_widths(page, "sending-domain-pending")

    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".toasts")).to_contain_text("did not find the DKIM record")
    postmark.publish_dns("harbouryoga.com")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".toasts")).to_contain_text(
        "harbouryoga.com is verified. Email now goes from hello@harbouryoga.com."
    )
    expect(page.get_by_test_id("domain-status")).to_have_text("Verified")
    expect(identity).to_contain_text("Harbour Yoga Studio <hello@harbouryoga.com>")
    _both_widths(page, "sending-domain-verified")


def _both_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 px and 390 px; at 390 px nothing may scroll sideways. The
    viewport is made as tall as the page first, so the sticky shell stays in its place."""
    ARTIFACTS.mkdir(exist_ok=True)
    widths = {}
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        widths[viewport["width"]] = page.evaluate("document.documentElement.scrollWidth")
        height = int(page.evaluate("document.documentElement.scrollHeight"))
        page.set_viewport_size({"width": viewport["width"], "height": max(height, 800)})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport['width']}.png"))
    page.set_viewport_size(DESKTOP)
    assert widths[390] <= 390, f"{name} is {widths[390]} px wide on a phone"
