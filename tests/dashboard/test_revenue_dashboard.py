"""The dashboard's revenue: this month against last month, the last 12 months for a chart,
revenue by product and by lead source and the average order value for the chosen period;
each per currency and net of refunds, "No payments yet" before the first, and nothing of
another workspace."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from billing.payments.selectors.revenue import month_start, monthly_revenue
from dashboard.revenue import revenue_figures
from tenants.time_zones import zone_info
from tests.support.pages import page_text
from tests.support.payments import add_lead, add_payment, add_product


def _charts(response) -> dict:
    match = re.search(
        r'<script id="dashboard-charts" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "no chart data on the page"
    return json.loads(match.group(1))


def _section(text: str) -> str:
    """The revenue section's text, up to the next section of the dashboard."""
    start = text.index("Revenue", text.index("Open tasks"))
    return text[start : text.index("New leads by source", start)]


def test_before_the_first_payment_the_section_says_no_payments_yet(make_workspace) -> None:
    fixture = make_workspace()
    add_lead(fixture.workspace, "ada@example.com")

    response = fixture.signed_in_client().get("/")

    text = _section(page_text(response))
    assert "No payments yet." in text
    assert 'href="/payments/"' in response.content.decode()
    assert _charts(response)["revenue_by_month"] is None


def test_this_month_is_compared_with_last_month_per_currency(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    add_lead(ws, "ada@example.com")
    now = timezone.now()
    last_month = month_start(now, months_back=1) + timedelta(minutes=1)
    add_payment(ws, amount=30_000, paid_at=now - timedelta(seconds=5))
    add_payment(ws, amount=20_000, paid_at=last_month)
    add_payment(ws, amount=9_000, currency="EUR", paid_at=now - timedelta(seconds=5))
    add_payment(ws, amount=99_000, status="failed", paid_at=now - timedelta(seconds=5))

    text = _section(page_text(fixture.signed_in_client().get("/")))

    assert "This month USD 300.00 ▲ +50% vs USD 200.00 by this day last month" in text
    assert "All of last month: USD 200.00" in text
    assert "EUR 90.00 none last month" in text


def test_this_month_so_far_is_held_against_last_month_by_the_same_day(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    add_payment(ws, amount=10_000, paid_at=datetime(2026, 11, 5, tzinfo=UTC))
    add_payment(ws, amount=90_000, paid_at=datetime(2026, 11, 20, tzinfo=UTC))
    add_payment(ws, amount=20_000, paid_at=datetime(2026, 12, 3, tzinfo=UTC))

    with schema_context(ws.schema_name), timezone.override(zone_info("UTC")):
        figures = revenue_figures(since=now - timedelta(days=30), until=now, now=now)

    assert figures is not None
    (usd,) = figures.this_month
    assert (usd.current.label, usd.previous_to_date.label) == ("USD 200.00", "USD 100.00")
    assert usd.previous.label == "USD 1,000.00"
    assert usd.change == 100.0


def test_period_figures_are_net_of_refunds_with_the_average_order(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    ads = add_lead(ws, "ads@example.com", source="ads")
    friend = add_lead(ws, "friend@example.com", source="referral")
    course = add_product(ws, "Spring cohort")
    coaching = add_product(ws, "1:1 coaching")
    recent = timezone.now() - timedelta(days=2)
    add_payment(ws, amount=10_000, lead_id=ads, product_id=course, paid_at=recent)
    add_payment(
        ws, amount=8_000, refunded_amount=3_000, status="partially_refunded",
        lead_id=friend, product_id=coaching, paid_at=recent,
    )  # fmt: skip
    add_payment(
        ws, amount=40_000, refunded_amount=40_000, status="refunded",
        lead_id=ads, product_id=coaching, paid_at=recent,
    )  # fmt: skip
    older = recent - timedelta(days=40)
    add_payment(ws, amount=60_000, lead_id=ads, product_id=course, paid_at=older)

    text = _section(page_text(fixture.signed_in_client().get("/?days=30")))

    assert "Revenue, 30 days USD 150.00 2 payments" in text
    assert "Average order, 30 days USD 75.00" in text
    assert "Spring cohort USD 100.00 1 1:1 coaching USD 50.00 1" in text
    assert "Ads USD 100.00 1 Referral USD 50.00 1" in text

    wider = _section(page_text(fixture.signed_in_client().get("/?days=90")))
    assert "Revenue, 90 days USD 750.00 3 payments" in wider
    assert "Spring cohort USD 700.00 2" in wider


def test_the_chart_has_twelve_months_and_one_series_per_currency(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    add_lead(ws, "ada@example.com")
    now = timezone.now()
    add_payment(ws, amount=12_345, paid_at=now - timedelta(seconds=5))
    add_payment(ws, amount=500, currency="JPY", paid_at=month_start(now, months_back=11))
    add_payment(ws, amount=99_999, paid_at=month_start(now, months_back=12))  # too old

    chart = _charts(fixture.signed_in_client().get("/"))["revenue_by_month"]

    assert len(chart["labels"]) == 12
    series = {dataset["currency"]: dataset["data"] for dataset in chart["datasets"]}
    assert series["USD"] == [0] * 11 + [123.45]
    assert series["JPY"] == [500] + [0] * 11


def test_months_follow_the_workspace_time_zone(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    # 31 January 20:00 UTC is already 1 February in Auckland.
    add_payment(ws, amount=1_000, paid_at=datetime(2026, 1, 31, 20, 0, tzinfo=UTC))

    with schema_context(ws.schema_name), timezone.override(zone_info("Pacific/Auckland")):
        months = monthly_revenue(now=datetime(2026, 2, 10, tzinfo=UTC), months=2)
    with schema_context(ws.schema_name), timezone.override(zone_info("UTC")):
        in_utc = monthly_revenue(now=datetime(2026, 2, 10, tzinfo=UTC), months=2)

    assert months.series["USD"] == [0, 1_000]
    assert in_utc.series["USD"] == [1_000, 0]


def test_another_workspaces_revenue_never_shows(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_lead(alpha.workspace, "ada@alpha.example")
    add_lead(beta.workspace, "bob@beta.example")
    add_payment(alpha.workspace, amount=777_700)

    response = beta.signed_in_client().get("/")

    assert "No payments yet." in _section(page_text(response))
    assert "7,777.00" not in response.content.decode()
    assert _charts(response)["revenue_by_month"] is None
