"""Revenue in a real browser: the dashboard draws its revenue chart from a workspace's
payments, the Payments page filters them and shows the net total per currency, neither
scrolls sideways at 390 px, and another workspace's session sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from billing.payments.models import Payment
from crm.models import Lead, Product
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow


@pytest.fixture
def selling(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="sell", name="Selling Studio") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            now = timezone.now()
            course = Product.objects.create(name="Spring cohort", price=490)
            coaching = Product.objects.create(name="1:1 coaching", price=1200)
            for n in range(24):
                lead = Lead.objects.create(
                    email=f"buyer{n}@{ws.slug}.example", first_name=f"Buyer{n}", source="ads"
                )
                Payment.objects.create(
                    lead=lead,
                    product=course if n % 2 else coaching,
                    amount=49_000 if n % 2 else 120_000,
                    currency="EUR" if n % 6 == 0 else "USD",
                    status=Payment.Status.REFUNDED if n == 5 else Payment.Status.PAID,
                    refunded_amount=49_000 if n == 5 else 0,
                    paid_at=now - timedelta(days=14 * n, hours=1),
                    stripe_payment_intent_id=f"pi_e2e_{ws.slug}_{n}",
                )
        yield ws


@pytest.fixture
def other(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="other", name="Other Studio") as ws:
        yield ws


def _sign_in(page: Page, base: str, workspace: Workspace, path: str) -> None:
    page.goto(f"{base}{path}")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{path}")


def _fits_a_phone(page: Page) -> bool:
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    fits = page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})
    return bool(fits)


def test_revenue_shows_on_the_dashboard_and_the_payments_page(
    selling: Workspace, other: Workspace, tmp_path
) -> None:
    port = free_port()
    with gunicorn_app(
        worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING"),
        log_path=tmp_path / "gunicorn.log",
        port=port,
    ):
        base = f"http://{selling.primary_host}:{port}"
        other_base = f"http://{other.primary_host}:{port}"
        with chromium_page() as page:
            _sign_in(page, base, selling, "/?days=90")
            page.wait_for_load_state("networkidle")
            revenue = page.locator("[data-section='revenue']")
            expect(revenue).to_contain_text("Revenue, 90 days")
            drawn = page.evaluate(
                "() => { const c = document.getElementById('chart-revenue-by-month');"
                " return !!(c && window.Chart && Chart.getChart(c) && c.width > 0); }"
            )
            assert drawn
            expect(page.get_by_test_id("revenue-by-product")).to_contain_text("1:1 coaching")
            assert _fits_a_phone(page)

            page.get_by_role("navigation", name="Workspace").get_by_role(
                "link", name="Payments"
            ).click()
            page.wait_for_url(f"{base}/payments/")
            expect(page.get_by_test_id("payment-totals")).to_contain_text("USD")
            expect(page.get_by_test_id("payment-totals")).to_contain_text("EUR")
            page.get_by_label("Status").select_option("refunded")
            page.get_by_role("button", name="Apply filters").click()
            page.wait_for_url(f"{base}/payments/?*status=refunded*")
            expect(page.locator("table.payments-table tbody tr")).to_have_count(1)
            expect(page.get_by_test_id("payment-totals")).to_have_text("none yet")
            assert _fits_a_phone(page)

            page.context.clear_cookies()
            _sign_in(page, other_base, other, "/payments/")
            expect(page.get_by_role("heading", name="No payments yet")).to_be_visible()
            assert "Buyer" not in page.content()
