"""Plans as data: the seeded plans on the pricing page with both periods, and staff
editing a plan in the console (prices, Stripe price ids, limits copied to its workspaces)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import AuditEvent
from billing.models import Plan
from tenants.models import Workspace
from tests.support.console import make_staff_user, staff_console_client
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def plan(slug: str) -> Plan:
    with schema_context("public"):
        return Plan.objects.get(slug=slug)


def form_of(row: Plan, **changes: object) -> dict[str, object]:
    fields = {
        "name": row.name,
        "slug": row.slug,
        "tagline": row.tagline,
        "currency": row.currency,
        "monthly_price": row.monthly_price,
        "yearly_price": row.yearly_price,
        "stripe_monthly_price_id": row.stripe_monthly_price_id,
        "stripe_yearly_price_id": row.stripe_yearly_price_id,
        "seat_limit": row.seat_limit if row.seat_limit is not None else "",
        "lead_limit": row.lead_limit if row.lead_limit is not None else "",
        "monthly_email_limit": row.monthly_email_limit
        if row.monthly_email_limit is not None
        else "",
        "trial_days": row.trial_days,
        "order": row.order,
        "is_active": "on" if row.is_active else "",
    }
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


def test_the_pricing_page_sells_every_seeded_plan_monthly_and_yearly(apex_client):
    text = page_text(apex_client.get("/pricing/"))

    for name, month, year in [
        ("Free", "$0", "$0"),
        ("Starter", "$29", "$290"),
        ("Growth", "$79", "$790"),
        ("Scale", "$199", "$1,990"),
    ]:
        assert f"{name}" in text
        assert f"{month} / month" in text and f"{year} / year" in text
    assert "Monthly" in text and "Yearly" in text
    assert "3 team seats" in text and "5,000 leads" in text and "10,000 emails a month" in text
    assert "Unlimited team seats" in text and "Unlimited leads" in text
    assert "14-day free trial" in text and "save $58" in text


def test_staff_set_a_plans_stripe_prices_and_limits_and_its_workspaces_follow(
    make_workspace, apex_client
):
    on_growth = make_workspace()  # trialing Growth
    make_staff_user()
    console = staff_console_client()
    growth = plan("growth")

    response = console.post(
        f"/console/plans/{growth.pk}/",
        form_of(
            growth,
            stripe_monthly_price_id="price_growth_m1",
            stripe_yearly_price_id="price_growth_y1",
            lead_limit="60000",
            seat_limit="",
        ),
    )

    assert response.status_code == 302
    saved = plan("growth")
    assert (saved.stripe_monthly_price_id, saved.stripe_yearly_price_id) == (
        "price_growth_m1",
        "price_growth_y1",
    )
    assert (saved.lead_limit, saved.seat_limit) == (60_000, None)
    with schema_context("public"):
        workspace = Workspace.objects.get(pk=on_growth.workspace.pk)
        audited = AuditEvent.objects.filter(action="console.plan_changed").count()
    assert (workspace.lead_limit, workspace.seat_limit) == (60_000, None)
    assert audited == 1
    listing = page_text(console.get("/console/plans/"))
    assert "price_growth_m1" in listing and "60,000" in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"stripe_monthly_price_id": "prod_123"}, "A Stripe price id starts with price_"),
        ({"monthly_price": "-5"}, "greater than or equal to 0"),
        ({"lead_limit": "many"}, "Enter a whole number"),
        (
            {"stripe_monthly_price_id": "price_x", "stripe_yearly_price_id": "price_x"},
            "Monthly and yearly need their own price",
        ),
    ],
)
def test_a_bad_plan_form_is_422_and_changes_nothing(changes, message):
    make_staff_user()
    console = staff_console_client()
    starter = plan("starter")

    response = console.post(f"/console/plans/{starter.pk}/", form_of(starter, **changes))

    assert response.status_code == 422
    assert message in page_text(response)
    after = plan("starter")
    assert (after.stripe_monthly_price_id, after.monthly_price, after.lead_limit) == (
        "",
        starter.monthly_price,
        5_000,
    )


def test_staff_create_a_plan_that_the_pricing_page_then_sells(apex_client):
    make_staff_user()
    console = staff_console_client()

    response = console.post(
        "/console/plans/new/",
        {
            "name": "Agency",
            "slug": "agency",
            "currency": "usd",
            "monthly_price": "499",
            "yearly_price": "4990",
            "trial_days": "0",
            "order": "4",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert plan("agency").currency == "USD"
    assert "Agency" in page_text(apex_client.get("/pricing/"))


def test_the_plan_pages_are_for_staff_only(make_workspace):
    fixture = make_workspace()
    owner_at_apex = Client(HTTP_HOST="localhost")
    owner_at_apex.post("/console/login/", {"email": fixture.owner_email, "password": "x"})
    growth = plan("growth")

    listing = owner_at_apex.get("/console/plans/")
    change = owner_at_apex.post(f"/console/plans/{growth.pk}/", form_of(growth, name="Mine"))

    assert listing.status_code == 302 and "/console/login/" in listing["Location"]
    assert change.status_code == 403
    assert plan("growth").name == "Growth"
    make_staff_user()
    assert staff_console_client().get("/console/plans/999/").status_code == 404
