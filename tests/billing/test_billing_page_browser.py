"""The owner upgrades in a real browser: Settings -> Billing, choose Growth yearly, pay on
the Stripe double's hosted Checkout page, come back to the page, and see the new plan once
the signed webhooks (delivered by the double to the app under gunicorn) are applied."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingAccount, Plan, StripeEvent
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tenants.services.provisioning import create_workspace
from tests.support.browser import chromium_page
from tests.support.servers import free_port, gunicorn_app
from tests.support.stripe_double import PLATFORM_SECRET, SECRET_KEY, StripeDouble, stripe_double
from tests.support.workers import worker_env

pytestmark = pytest.mark.slow
PASSWORD = "a long enough passphrase"


@pytest.fixture
def committed_workspace(django_db_blocker) -> Iterator[Workspace]:
    """A workspace the app under gunicorn can see (committed); dropped afterwards, with the
    plan price ids this test sets."""
    slug = f"upgrade-{uuid.uuid4().hex[:8]}"
    started = timezone.now()
    with django_db_blocker.unblock():
        use_public_schema()
        workspace = create_workspace(
            name="Upgrade Coaching",
            slug=slug,
            owner_email=f"owner@{slug}.example",
            owner_password=PASSWORD,
        )
    yield workspace
    with django_db_blocker.unblock():
        use_public_schema()
        # The app committed the events it applied: they go with the workspace.
        StripeEvent.objects.filter(received_at__gte=started, account="").delete()
        Plan.objects.filter(slug="growth").update(
            stripe_monthly_price_id="", stripe_yearly_price_id=""
        )
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{workspace.schema_name}" CASCADE')
        Workspace.objects.filter(pk=workspace.pk).delete()


def price_growth(double: StripeDouble, django_db_blocker) -> None:
    for interval, amount in (("month", 7900), ("year", 79000)):
        double.put(
            "prices",
            {
                "id": f"price_browser_growth_{interval}",
                "unit_amount": amount,
                "currency": "usd",
                "recurring": {"interval": interval},
            },
        )
    with django_db_blocker.unblock():
        Plan.objects.filter(slug="growth").update(
            stripe_monthly_price_id="price_browser_growth_month",
            stripe_yearly_price_id="price_browser_growth_year",
        )


def test_the_owner_upgrades_through_checkout_and_sees_the_new_plan(
    committed_workspace: Workspace, django_db_blocker, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://{committed_workspace.slug}.localhost:{port}"
    with stripe_double() as double:
        price_growth(double, django_db_blocker)
        double.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
        double.webhook_host = "localhost"
        env = worker_env(
            CRM_PUBLIC_PORT=str(port),
            STRIPE_API_BASE=double.url,
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=PLATFORM_SECRET,
            LOG_LEVEL="WARNING",
        )
        log_path = tmp_path / "gunicorn.log"
        with gunicorn_app(env, log_path=log_path, port=port), chromium_page() as page:
            try:
                page.goto(f"{base}/login/")
                page.get_by_label("Email").fill(f"owner@{committed_workspace.slug}.example")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.goto(f"{base}/settings/billing/")
                expect(page.get_by_test_id("billing-status")).to_have_text("Trial")

                with page.expect_navigation(url="**/pay/**"):
                    page.locator("#plan-growth").get_by_role("button", name="Yearly").click()
                with page.expect_navigation(url="**/settings/billing/**"):
                    page.get_by_role("button", name="Pay").click()
                expect(page.get_by_role("status")).to_contain_text("Stripe took your payment")
                page.goto(f"{base}/settings/billing/")

                expect(page.get_by_test_id("billing-status")).to_have_text("Active")
                expect(page.get_by_test_id("plan-name")).to_have_text("Growth")
                expect(page.get_by_test_id("billing-summary")).to_contain_text("Yearly")
                expect(page.get_by_test_id("invoices")).to_contain_text("$790")
            except Exception as error:
                raise AssertionError(
                    f"{error}\n--- web log ---\n{log_path.read_text()[-4000:]}"
                ) from error

    assert [status for _, status in double.delivered] == [200, 200, 200]
    with django_db_blocker.unblock():
        account = BillingAccount.objects.select_related("plan").get(workspace=committed_workspace)
    assert (account.plan.slug, account.interval, account.subscription_status) == (
        "growth",
        "year",
        "active",
    )
