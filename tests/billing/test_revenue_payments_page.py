"""The Payments page (/payments/): every member sees the table, its filters, keyset pages,
the net total per currency of the filter (never one sum across currencies), an empty state
that says how payments arrive, and a CSV export of the filter that a spreadsheet opens
safely; another workspace's payments never show."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from django.test import Client

from accounts.models import User
from billing.payments.models import Payment
from tests.support.clients import add_member, sign_in_client
from tests.support.leads import body_of
from tests.support.pages import page_text
from tests.support.payments import add_lead, add_payment, add_product

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_a_new_workspace_is_told_how_payments_arrive(make_workspace) -> None:
    fixture = make_workspace()

    response = fixture.signed_in_client().get("/payments/")

    text = page_text(response)
    assert response.status_code == 200
    assert "No payments yet" in text
    assert "Connect Stripe in Settings → Payments" in text
    assert 'href="/settings/payments/"' in response.content.decode()
    assert "Export" not in text


def test_a_member_sees_the_payments_and_the_sidebar_names_the_page(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    lead = add_lead(ws, "ada@example.com", first_name="Ada", last_name="Lovelace")
    product = add_product(ws, "12-week coaching")
    add_payment(ws, amount=124_000, lead_id=lead, product_id=product, paid_at=JAN)
    add_member(ws, User.Role.MEMBER)
    member = sign_in_client(ws, f"member@{ws.slug}.example")

    response = member.get("/payments/")

    text = page_text(response)
    assert response.status_code == 200
    assert 'href="/payments/" aria-current="page"' in response.content.decode()
    assert "Ada Lovelace" in text and "ada@example.com" in text
    assert "12-week coaching" in text
    assert "USD 1,240.00" in text
    # A member cannot connect Stripe, and is told who can, only on the empty page.
    assert "No payments yet" not in text


def test_totals_are_net_of_refunds_and_kept_per_currency(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    add_payment(ws, amount=100_000, paid_at=JAN)
    add_payment(ws, amount=30_000, refunded_amount=6_000, status="partially_refunded", paid_at=JAN)
    add_payment(ws, amount=50_000, refunded_amount=50_000, status="refunded", paid_at=JAN)
    add_payment(ws, amount=9_999, status="failed", paid_at=JAN)
    add_payment(ws, amount=9_999, status="pending", paid_at=JAN)
    add_payment(ws, amount=30_000, currency="EUR", paid_at=JAN)
    add_payment(ws, amount=5_000, currency="JPY", paid_at=JAN)

    response = fixture.signed_in_client().get("/payments/")

    text = page_text(response)
    assert "Net revenue: USD 1,240.00 · EUR 300.00 · JPY 5,000" in text


def test_filters_narrow_the_table_and_its_totals(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    course = add_product(ws, "Course")
    coaching = add_product(ws, "Coaching")
    add_payment(ws, amount=10_000, product_id=course, paid_at=JAN)
    add_payment(ws, amount=20_000, product_id=coaching, paid_at=JAN + timedelta(days=10))
    add_payment(
        ws, amount=40_000, product_id=course, paid_at=JAN + timedelta(days=20),
        status="refunded", refunded_amount=40_000,
    )  # fmt: skip
    client = fixture.signed_in_client()

    by_product = page_text(client.get(f"/payments/?product={course}"))
    by_status = page_text(client.get("/payments/?status=refunded"))
    by_days = page_text(client.get("/payments/?paid_from=2026-01-20&paid_to=2026-01-31"))

    assert "USD 100.00" in by_product and "USD 400.00" in by_product
    assert "USD 200.00" not in by_product
    assert "Net revenue of these payments: USD 100.00" in by_product
    assert "USD 400.00" in by_status and "USD 100.00" not in by_status
    assert "Net revenue of these payments: none yet" in by_status
    assert "USD 200.00" in by_days and "USD 100.00" not in by_days


def test_a_filter_that_matches_nothing_says_so_and_offers_to_clear_it(make_workspace) -> None:
    fixture = make_workspace()
    add_payment(fixture.workspace, paid_at=JAN)

    text = page_text(fixture.signed_in_client().get("/payments/?status=disputed"))

    assert "No payment matches these filters" in text
    assert "Clear the filters" in text


def test_bad_filters_are_explained_not_a_500(make_workspace) -> None:
    fixture = make_workspace()
    add_payment(fixture.workspace, paid_at=JAN)
    client = fixture.signed_in_client()

    for query in (
        "status=settled",
        "paid_from=2026-02-30",
        "paid_from=2026-02-01&paid_to=2026-01-01",
        "currency=dollars",
        "product=abc",
    ):
        response = client.get(f"/payments/?{query}")
        assert response.status_code == 422, query
        assert "The filters need a look" in page_text(response), query
    assert client.get("/payments/?cursor=forged").status_code == 400
    assert client.get("/payments/export/?status=settled").status_code == 422


def test_the_pages_walk_every_payment_once(make_workspace) -> None:
    fixture = make_workspace()
    ids = {
        add_payment(fixture.workspace, amount=1000 + i, paid_at=JAN + timedelta(minutes=i)).pk
        for i in range(53)
    }
    client = fixture.signed_in_client()

    first = client.get("/payments/")
    html = first.content.decode()
    assert "Next page" in html and "First page" not in html
    cursor = html.split("cursor=")[1].split('"')[0]
    second = client.get(f"/payments/?cursor={cursor}")

    assert "Next page" not in second.content.decode()
    assert "First page" in second.content.decode()
    assert page_text(second).count("USD 10.0") == 3  # the three oldest: 10.00, 10.01, 10.02
    assert len(ids) == 53


def test_the_export_is_the_filtered_payments_as_safe_csv(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    lead = add_lead(ws, "eve@example.com", first_name='=HYPERLINK("x")')
    course = add_product(ws, "Course")
    add_payment(ws, amount=124_000, product_id=course, lead_id=lead, paid_at=JAN)
    add_payment(ws, amount=5_000, currency="EUR", paid_at=JAN)

    response = fixture.signed_in_client().get(f"/payments/export/?product={course}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="payments.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["currency"], row["amount"], row["net"]) == ("USD", "1240.00", "1240.00")
    assert row["product"] == "Course" and row["lead_email"] == "eve@example.com"
    assert row["lead_name"].startswith("'=")  # a formula is shown, never run


def test_signed_out_visitors_are_sent_to_sign_in(make_workspace) -> None:
    fixture = make_workspace()

    for path in ("/payments/", "/payments/export/"):
        response = Client(HTTP_HOST=fixture.host).get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_another_workspace_never_shows_these_payments(two_workspaces) -> None:
    alpha, beta = two_workspaces
    lead = add_lead(alpha.workspace, "secret-buyer@alpha.example")
    add_payment(alpha.workspace, amount=777_700, lead_id=lead, paid_at=JAN)
    beta_client = beta.signed_in_client()

    page = beta_client.get("/payments/")
    export = beta_client.get("/payments/export/")
    # Alpha's session cookie means nothing on beta's host.
    stolen = Client(HTTP_HOST=beta.host)
    stolen.cookies = alpha.signed_in_client().cookies

    assert "No payments yet" in page_text(page)
    assert "secret-buyer" not in page.content.decode()
    assert "7,777.00" not in page.content.decode()
    assert body_of(export).count("\n") == 1  # the header only
    assert stolen.get("/payments/").status_code == 302


def test_a_payment_whose_lead_is_gone_keeps_its_customer_email(make_workspace) -> None:
    fixture = make_workspace()
    add_payment(fixture.workspace, status=Payment.Status.PAID, customer_email="walk-in@example.com")

    text = page_text(fixture.signed_in_client().get("/payments/"))

    assert "walk-in@example.com" in text
