"""The console's billing: each workspace's plan, standing, trial end and MRR, and the
platform's MRR (active and past-due subscriptions, yearly as a twelfth, per currency)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from billing.models import Plan
from tests.support.billing import deliver, price_plan, subscribe
from tests.support.console import make_staff_user, staff_console_client
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def subscribed(stripe_api, apex_client, fixture, slug: str, interval: str, **changes) -> None:
    subscription = subscribe(stripe_api, fixture.workspace, slug, interval, **changes)
    response = deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    assert response.json()["outcome"] == "applied"


def test_the_workspace_list_shows_plan_standing_trial_end_and_mrr(
    make_workspace, stripe_api, apex_client
):
    monthly, yearly, past_due, _trialing, ended = (make_workspace() for _ in range(5))
    price_plan(stripe_api, "growth")
    price_plan(stripe_api, "scale")
    subscribed(stripe_api, apex_client, monthly, "growth", "month")
    subscribed(stripe_api, apex_client, yearly, "scale", "year")
    subscribed(stripe_api, apex_client, past_due, "growth", "month", status="past_due")
    subscribed(stripe_api, apex_client, ended, "scale", "month", status="canceled", ended_at=1)
    make_staff_user()

    text = page_text(staff_console_client().get("/console/"))

    # 79 + 79 (past due still counts) + 1,990 / 12 = 165.83 -> 323.83; the ended one earns 0.
    assert "MRR in USD $323.83" in text
    assert "3 paying subscriptions" in text
    assert "Payment failed" in text and "Subscription ended" in text and "Trial" in text
    assert "trial ends" in text
    assert "$165.83" in text and "$79" in text


def test_the_platform_mrr_is_kept_per_currency(make_workspace, stripe_api, apex_client):
    in_usd, in_eur = make_workspace(), make_workspace()
    price_plan(stripe_api, "growth")
    with schema_context("public"):
        Plan.objects.create(
            name="Growth EU",
            slug="growth-eu",
            currency="EUR",
            monthly_price=Decimal("75"),
            yearly_price=Decimal("750"),
            seat_limit=10,
        )
    price_plan(stripe_api, "growth-eu")
    subscribed(stripe_api, apex_client, in_usd, "growth", "month")
    subscribed(stripe_api, apex_client, in_eur, "growth-eu", "year")
    make_staff_user()

    text = page_text(staff_console_client().get("/console/"))

    assert "MRR in EUR €62.50" in text and "MRR in USD $79" in text


def test_a_workspaces_console_page_shows_its_billing(make_workspace, stripe_api, apex_client):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    subscribed(stripe_api, apex_client, fixture, "growth", "year")
    make_staff_user()

    text = page_text(staff_console_client().get(f"/console/workspaces/{fixture.workspace.pk}/"))

    assert "Billing Plan Growth Standing Active (Stripe: active)" in text
    assert "MRR $65.83" in text


def test_the_billing_figures_are_for_staff_only(two_workspaces):
    alpha, _ = two_workspaces
    owner = Client(HTTP_HOST="localhost")
    owner.post("/console/login/", {"email": alpha.owner_email, "password": alpha.owner_password})

    response = owner.get("/console/")

    assert response.status_code == 302 and "/console/login/" in response["Location"]
