"""The apex's public site: the landing page and pricing drawn from billing.Plan rows, the
waitlist (one entry per address in any case, rate limited) and sign-up's look."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from billing.models import Plan
from tenants.models import WaitlistEntry
from tests.support.pages import page_text


def waitlist_entries() -> list[str]:
    with schema_context("public"):
        return list(WaitlistEntry.objects.order_by("pk").values_list("email", flat=True))


# --- Landing and pricing ---------------------------------------------------------------------


def test_landing_page_says_what_the_product_does_and_prices_the_free_plan(apex_client) -> None:
    response = apex_client.get("/")

    text = page_text(response)
    assert response.status_code == 200
    for words in ("Leads", "Pipeline", "Email campaigns", "Tasks", "Products", "REST API"):
        assert words in text
    assert "Never sends the same email twice" in text
    assert "Create your workspace" in text
    assert 'id="pricing"' in response.text
    assert "Free" in text and "$0 / month" in text
    assert "2 team seats" in text and "1,000 leads" in text and "2,500 emails a month" in text


@pytest.mark.django_db
def test_the_free_and_paid_plans_are_seeded_by_migration() -> None:
    with schema_context("public"):
        plans = list(Plan.objects.values_list("slug", "monthly_price", "is_active"))
    assert plans == [
        ("free", Decimal("0.00"), True),
        ("starter", Decimal("29.00"), True),
        ("growth", Decimal("79.00"), True),
        ("scale", Decimal("199.00"), True),
    ]


def test_changing_a_plan_changes_the_landing_and_pricing_pages(apex_client) -> None:
    with schema_context("public"):
        Plan.objects.exclude(slug="free").delete()  # the seeded paid plans
        Plan.objects.filter(slug="free").update(lead_limit=None, name="Starter")
        Plan.objects.create(
            name="Growth",
            slug="growth",
            tagline="For a business with a team.",
            monthly_price=Decimal("29"),
            yearly_price=Decimal("290"),
            seat_limit=5,
            lead_limit=25_000,
            monthly_email_limit=50_000,
            trial_days=14,
            order=1,
        )
        Plan.objects.create(name="Retired", slug="retired", is_active=False, order=2)

    for path in ("/", "/pricing/"):
        text = page_text(apex_client.get(path))
        assert "Starter" in text and "Unlimited leads" in text
        assert "Growth" in text and "$29 / month" in text and "$290 / year" in text
        assert "save $58" in text and "14-day free trial" in text and "25,000 leads" in text
        assert "Retired" not in text
        assert text.index("Starter") < text.index("Growth")


def test_pricing_page_has_the_plans_and_a_footer(apex_client) -> None:
    response = apex_client.get("/pricing/")

    assert response.status_code == 200
    assert 'id="plan-free"' in response.text
    assert "<footer" in response.text
    assert "Find my workspace" in page_text(response)


def test_a_workspace_host_does_not_serve_the_public_pages(make_workspace) -> None:
    fixture = make_workspace()

    assert fixture.client().get("/pricing/").status_code == 404
    assert fixture.client().get("/find-workspace/").status_code == 404


# --- The waitlist -----------------------------------------------------------------------------


def test_joining_the_waitlist_shows_a_confirmation(apex_client) -> None:
    response = apex_client.post("/waitlist/", {"email": "ada@example.com"})

    assert response.status_code == 200
    assert "You are on the list" in page_text(response)
    assert waitlist_entries() == ["ada@example.com"]


def test_the_same_address_in_another_case_joins_once_with_the_same_answer(apex_client) -> None:
    first = apex_client.post("/waitlist/", {"email": "Ada@Example.com"})
    again = apex_client.post("/waitlist/", {"email": " ada@EXAMPLE.com "})

    assert page_text(first) == page_text(again).replace("ada@EXAMPLE.com", "Ada@Example.com")
    assert again.status_code == 200
    assert waitlist_entries() == ["Ada@Example.com"]


@pytest.mark.django_db
def test_the_database_refuses_a_second_row_in_another_case() -> None:
    from django.db import IntegrityError, transaction

    with schema_context("public"):
        WaitlistEntry.objects.create(email="bo@example.com")
        with pytest.raises(IntegrityError), transaction.atomic():
            WaitlistEntry.objects.create(email="BO@example.com")


def test_an_invalid_address_gets_the_form_back_with_the_error(apex_client) -> None:
    response = apex_client.post("/waitlist/", {"email": "not an address"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert "Enter a valid email address" in page_text(response)
    assert 'id="waitlist-panel"' in response.text
    assert "<html" not in response.text  # htmx gets the panel, not a whole page
    assert waitlist_entries() == []


def test_htmx_join_answers_with_the_panel_only(apex_client) -> None:
    response = apex_client.post("/waitlist/", {"email": "cy@example.com"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "You are on the list" in response.text
    assert "<html" not in response.text


@override_settings(CRM_WAITLIST_RATE="2/h")
def test_the_waitlist_is_rate_limited_per_ip(apex_client) -> None:
    for n in range(2):
        assert apex_client.post("/waitlist/", {"email": f"p{n}@example.com"}).status_code == 200

    response = apex_client.post("/waitlist/", {"email": "p3@example.com"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many requests" in page_text(response)
    assert waitlist_entries() == ["p0@example.com", "p1@example.com"]


# --- Sign-up's look -----------------------------------------------------------------------


def test_signup_shows_each_error_next_to_its_field(apex_client) -> None:
    response = apex_client.post(
        "/signup/",
        {"name": "", "slug": "x", "owner_email": "nope", "owner_password": "short"},
    )

    text = page_text(response)
    assert response.status_code == 200
    assert "Check the 4 fields marked below" in text
    assert "Give the workspace a name" in text
    assert "3 to 40 characters" in text
    assert "Enter a valid email address" in text
    assert response.text.count('class="field has-error"') == 4
