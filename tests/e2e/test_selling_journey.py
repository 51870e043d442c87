"""Issue 11's journey in one real browser session against the app under gunicorn, with the
Stripe double delivering its signed webhooks to the app as Stripe would:

the owner upgrades through Checkout and sees the new plan; connects the workspace's own
Stripe account; a lead who clicked a campaign email gets a payment link from the lead page
and pays it on the hosted page; the payment then shows on the lead, on the dashboard and on
the campaign's results, credited to that campaign. Every page is also looked at 390 px wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from billing.models import BillingAccount, Plan, StripeEvent
from billing.payments.models import Payment
from crm.models import Lead, Message
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD, bearer_client, post
from tests.support.email import create_campaign, run_jobs, set_postal_address
from tests.support.fakes import fake_postmark
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.stripe_double import (
    CONNECT_SECRET,
    PLATFORM_SECRET,
    SECRET_KEY,
    StripeDouble,
    stripe_double,
)
from tests.support.stripe_sales import make_lead, make_product
from tests.support.webhooks import deliver_event, hook, webhook_password
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts" / "selling"
BUYER = "ada@buyers.example"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    started = datetime.now(UTC)
    with committed_workspace(django_db_blocker, prefix="sell", name="Harbour Coaching") as ws:
        yield ws
        with django_db_blocker.unblock():
            use_public_schema()
            StripeEvent.objects.filter(received_at__gte=started).delete()
            Plan.objects.filter(slug="growth").update(
                stripe_monthly_price_id="", stripe_yearly_price_id=""
            )


def _price_growth(double: StripeDouble) -> None:
    double.put(
        "prices",
        {
            "id": "price_journey_growth_month",
            "unit_amount": 7900,
            "currency": "usd",
            "recurring": {"interval": "month"},
        },
    )
    Plan.objects.filter(slug="growth").update(stripe_monthly_price_id="price_journey_growth_month")


def _campaign_clicked_by_the_buyer(workspace: Workspace) -> tuple[int, int]:
    """In this process, through the real API, delivery engine and Postmark webhook: a lead,
    a product, a campaign sent to the lead, and the lead's click on it a minute ago."""
    client = bearer_client(workspace, f"owner@{workspace.slug}.example", OWNER_PASSWORD)
    make_product(client, name="Spring cohort", price="490.00", currency="USD")
    lead = make_lead(client, email=BUYER, first_name="Ada", last_name="Okafor", source="ads")
    set_postal_address(workspace)
    campaign = create_campaign(client, name="Spring cohort launch")
    assert post(client, f"/api/v1/campaigns/{campaign['id']}/send", {}).status_code == 202
    run_jobs(workspace, campaign["id"])
    with schema_context(workspace.schema_name):
        message = Message.objects.get(campaign_id=campaign["id"], lead_id=lead["id"])
    clicked_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    click = {
        "RecordType": "Click",
        "MessageID": message.provider_id,
        "Recipient": BUYER,
        "OriginalLink": "https://harbour.example/spring",
        "ReceivedAt": clicked_at,
    }
    webhook = hook(workspace, webhook_password(workspace))
    assert deliver_event(webhook, click).json() == {"status": "applied"}
    return int(lead["id"]), int(campaign["id"])


def _phone_check(page: Page, name: str) -> None:
    """The page at 390 px: nothing scrolls sideways; a screenshot for the artifacts."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # laid out at this width from the start, as a phone would
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 390 px"


def test_the_owner_upgrades_connects_stripe_and_a_clicked_lead_pays_a_payment_link(
    workspace: Workspace, django_db_blocker, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://{workspace.slug}.localhost:{port}"
    with (
        stripe_double() as double,
        fake_postmark() as postmark,
        override_settings(
            POSTMARK_SERVER_TOKEN="server-token-selling",
            POSTMARK_API_URL=postmark.url,
            CRM_EMAIL_SEND_RATE=1_000_000,
        ),
    ):
        with django_db_blocker.unblock():
            _price_growth(double)
            lead_id, campaign_id = _campaign_clicked_by_the_buyer(workspace)
        double.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
        double.webhook_host = "localhost"
        env = worker_env(
            CRM_PUBLIC_PORT=str(port),
            STRIPE_API_BASE=double.url,
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=PLATFORM_SECRET,
            STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_SECRET,
            POSTMARK_SERVER_TOKEN="server-token-selling",
            POSTMARK_API_URL=postmark.url,
            LOG_LEVEL="WARNING",
        )
        log_path = tmp_path / "gunicorn.log"
        with gunicorn_app(env, log_path=log_path, port=port), chromium_page() as page:
            try:
                _journey(page, base, workspace, lead_id, campaign_id)
            except Exception as error:
                page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
                raise AssertionError(
                    f"{error}\n--- web log ---\n{log_path.read_text()[-6000:]}"
                ) from error

    assert {status for _, status in double.delivered} == {200}
    with django_db_blocker.unblock():
        use_public_schema()
        account = BillingAccount.objects.select_related("plan").get(workspace=workspace)
        assert (account.plan.slug, account.subscription_status) == ("growth", "active")
        with schema_context(workspace.schema_name):
            payment = Payment.objects.get()
            assert (payment.amount, payment.currency, payment.status) == (49000, "USD", "paid")
            assert (payment.lead_id, payment.campaign_id) == (lead_id, campaign_id)
            assert Lead.objects.get(pk=lead_id).status == Lead.Status.CUSTOMER


def _journey(page: Page, base: str, workspace: Workspace, lead_id: int, campaign_id: int) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # The owner upgrades from the trial to Growth through Checkout.
    page.goto(f"{base}/settings/billing/")
    expect(page.get_by_test_id("billing-status")).to_have_text("Trial")
    with page.expect_navigation(url="**/pay/**"):
        page.locator("#plan-growth").get_by_role("button", name="Monthly").click()
    with page.expect_navigation(url="**/settings/billing/**"):
        page.get_by_role("button", name="Pay").click()
    page.goto(f"{base}/settings/billing/")
    expect(page.get_by_test_id("billing-status")).to_have_text("Active")
    expect(page.get_by_test_id("plan-name")).to_have_text("Growth")
    _phone_check(page, "billing")

    # The workspace connects its own Stripe account and finishes onboarding.
    page.goto(f"{base}/settings/payments/")
    page.get_by_role("button", name="Connect Stripe").click()
    expect(page.get_by_role("heading", name="Set up payments")).to_be_visible()
    with page.expect_navigation(url="**/settings/payments/**"):
        page.get_by_role("button", name="Finish").click()
    expect(page.get_by_test_id("stripe-state")).to_contain_text("Ready to take payments")
    _phone_check(page, "payments-settings")

    # From the lead's page, a reusable payment link for the course.
    page.goto(f"{base}/leads/{lead_id}/")
    page.get_by_role("link", name="Take a payment").first.click()
    page.get_by_label("Product", exact=True).select_option(index=1)
    expect(page.get_by_label("Product", exact=True)).to_contain_text("Spring cohort")
    page.get_by_label("Reusable payment link for this product").check()
    page.get_by_role("button", name="Make the payment page").click()
    link = page.get_by_test_id("payment-link")
    expect(link).to_contain_text("Payment link ready")
    url = page.locator("#payment-url").input_value()
    _phone_check(page, "take-payment")

    # The lead pays on the hosted page; Stripe's webhook reaches the app.
    # (In the same browser: the hosted page is another origin, so it carries no cookie of ours.)
    page.goto(url)
    page.get_by_label("Email").fill(BUYER)
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_text("Harbour Coaching").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "thanks-1280.png"), full_page=True)

    # The payment on the lead, the dashboard and the campaign.
    page.goto(f"{base}/leads/{lead_id}/")
    expect(page.get_by_test_id("lead-payment")).to_contain_text("490.00")
    expect(page.get_by_test_id("lead-payment")).to_contain_text("Paid")
    page.screenshot(path=str(ARTIFACTS / "lead-1280.png"), full_page=True)
    _phone_check(page, "lead")

    page.goto(f"{base}/")
    expect(page.locator("#revenue-title")).to_be_visible()
    expect(page.get_by_test_id("revenue-by-product")).to_contain_text("Spring cohort")
    expect(page.get_by_test_id("revenue-by-source")).to_contain_text("490.00")
    page.screenshot(path=str(ARTIFACTS / "dashboard-1280.png"), full_page=True)
    _phone_check(page, "dashboard")

    page.goto(f"{base}/campaigns/{campaign_id}/")
    expect(page.get_by_test_id("campaign-revenue")).to_contain_text("490.00")
    expect(page.get_by_test_id("campaign-revenue")).to_contain_text("per recipient")
    page.screenshot(path=str(ARTIFACTS / "campaign-1280.png"), full_page=True)
    _phone_check(page, "campaign")

    page.goto(f"{base}/payments/")
    expect(page.get_by_role("table")).to_contain_text("Ada")
    _phone_check(page, "payments")
