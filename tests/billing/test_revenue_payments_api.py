"""GET /api/v1/payments and /payments/{id}: the payments a workspace took, newest first,
with filters and cursors, in the fixed shapes; bad filters are 422; another workspace's
payments are never listed or found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client

from billing.payments.models import Payment
from tests.support.clients import api
from tests.support.payments import add_lead, add_payment, add_product

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def test_a_payment_is_read_in_snake_case_with_minor_units_and_decimals(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    lead = add_lead(ws, "ada@example.com", first_name="Ada", last_name="Lovelace")
    product = add_product(ws, "12-week coaching")
    payment = add_payment(
        ws,
        amount=124_000,
        refunded_amount=4_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
        lead_id=lead,
        product_id=product,
        paid_at=JAN,
        customer_email="ada@example.com",
    )

    response = api(fixture).get(f"/api/v1/payments/{payment.pk}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == payment.pk
    assert (body["amount"], body["amount_decimal"]) == (124_000, "1240.00")
    assert (body["refunded_amount"], body["refunded_amount_decimal"]) == (4_000, "40.00")
    assert (body["net"], body["net_decimal"]) == (120_000, "1200.00")
    assert body["currency"] == "USD"
    assert body["status"] == "partially_refunded"
    assert body["lead"] == {"id": lead, "email": "ada@example.com", "name": "Ada Lovelace"}
    assert body["product"] == {"id": product, "name": "12-week coaching"}
    assert body["campaign_id"] is None
    assert body["stripe_payment_intent_id"] == payment.stripe_payment_intent_id
    assert body["stripe_checkout_session_id"] == payment.stripe_checkout_session_id
    assert datetime.fromisoformat(body["paid_at"]) == JAN


def test_a_zero_decimal_currency_has_no_decimal_places(make_workspace) -> None:
    fixture = make_workspace()
    payment = add_payment(fixture.workspace, amount=5_000, currency="JPY")

    body = api(fixture).get(f"/api/v1/payments/{payment.pk}").json()

    assert (body["amount"], body["amount_decimal"]) == (5_000, "5000")


def test_the_list_is_newest_first_and_its_cursor_walks_every_payment_once(make_workspace) -> None:
    fixture = make_workspace()
    made = [
        add_payment(fixture.workspace, amount=100 + i, paid_at=JAN + timedelta(hours=i)).pk
        for i in range(5)
    ]
    # Two payments in the same second: the id breaks the tie, and neither is lost.
    made.append(add_payment(fixture.workspace, amount=200, paid_at=JAN + timedelta(hours=4)).pk)
    client = api(fixture)

    seen: list[int] = []
    cursor = None
    for _ in range(10):
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/payments?{query}").json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))
    assert seen[:2] == [made[5], made[4]]  # the latest hour, higher id first
    assert seen[-1] == made[0]


def test_each_filter_narrows_the_list(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    course = add_product(ws, "Course")
    coaching = add_product(ws, "Coaching")
    ada = add_lead(ws, "ada@example.com")
    a = add_payment(ws, product_id=course, lead_id=ada, paid_at=JAN)
    b = add_payment(ws, product_id=coaching, currency="EUR", paid_at=JAN + timedelta(days=10))
    c = add_payment(
        ws, product_id=course, status=Payment.Status.REFUNDED, refunded_amount=10_000,
        paid_at=JAN + timedelta(days=20),
    )  # fmt: skip
    client = api(fixture)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/payments?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids(f"product_id={course}") == [c.pk, a.pk]
    assert ids("status=refunded") == [c.pk]
    assert ids(f"lead_id={ada}") == [a.pk]
    assert ids("currency=eur") == [b.pk]
    assert ids("paid_after=2026-01-25T00:00:00Z") == [c.pk, b.pk]
    assert ids("paid_after=2026-01-20T00:00:00Z&paid_before=2026-02-01T00:00:00Z") == [b.pk]
    assert ids("paid_before=2026-01-15T12:00:00Z") == []  # paid_before is exclusive
    assert ids("paid_after=2026-01-15T12:00:00Z&paid_before=2026-01-15T12:00:01Z") == [a.pk]


def test_a_bad_filter_is_422_in_the_error_shape(make_workspace) -> None:
    fixture = make_workspace()
    add_payment(fixture.workspace)
    client = api(fixture)

    for query, field in (
        ("status=settled", "status"),
        ("currency=US", "currency"),
        ("currency=12$", "currency"),
        ("paid_after=yesterday", "paid_after"),
        ("paid_after=2026-02-01T00:00:00Z&paid_before=2026-01-01T00:00:00Z", "paid_before"),
        ("product_id=abc", "product_id"),
        ("lead_id=99999999999999999999999", "lead_id"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("page=2", "page"),
    ):
        response = client.get(f"/api/v1/payments?{query}")
        assert response.status_code == 422, (query, response.content)
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"]
        assert field in [detail["field"] for detail in error["details"]], (query, error)


def test_a_forged_cursor_is_400_not_a_500(make_workspace) -> None:
    fixture = make_workspace()
    add_payment(fixture.workspace)

    response = api(fixture).get("/api/v1/payments?cursor=not-a-cursor")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_cursor"


def test_an_unknown_payment_is_404(make_workspace) -> None:
    fixture = make_workspace()

    response = api(fixture).get("/api/v1/payments/999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_without_credentials_the_payments_are_401(make_workspace) -> None:
    fixture = make_workspace()
    payment = add_payment(fixture.workspace)
    anonymous = Client(HTTP_HOST=fixture.host)

    for path in ("/api/v1/payments", f"/api/v1/payments/{payment.pk}"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_another_workspace_never_lists_or_reads_these_payments(two_workspaces) -> None:
    alpha, beta = two_workspaces
    secret = add_payment(alpha.workspace, amount=777_777, customer_email="secret@alpha.example")
    beta_own = add_payment(beta.workspace, amount=100)
    beta_client = api(beta)

    listed = beta_client.get("/api/v1/payments").json()
    found = beta_client.get(f"/api/v1/payments/{secret.pk}")
    # A's token on B's host means nothing there.
    stolen = Client(
        HTTP_HOST=beta.host, HTTP_AUTHORIZATION=api(alpha).defaults["HTTP_AUTHORIZATION"]
    ).get("/api/v1/payments")

    assert [item["id"] for item in listed["items"]] == [beta_own.pk]
    assert found.status_code == 404 or secret.pk == beta_own.pk
    assert b"777777" not in found.content and b"secret@alpha" not in found.content
    assert "secret@alpha" not in str(listed)
    assert stolen.status_code == 401


def test_totals_are_net_per_currency_for_the_same_filters(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    course = add_product(ws, "Course")
    add_payment(ws, amount=100_000, product_id=course, paid_at=JAN)
    add_payment(
        ws, amount=30_000, refunded_amount=6_000, status="partially_refunded",
        product_id=course, paid_at=JAN,
    )  # fmt: skip
    add_payment(ws, amount=9_000, status="failed", product_id=course, paid_at=JAN)
    add_payment(ws, amount=5_000, currency="JPY", paid_at=JAN)
    client = api(fixture)

    every = client.get("/api/v1/payments/totals").json()
    one_product = client.get(f"/api/v1/payments/totals?product_id={course}").json()
    refused = client.get("/api/v1/payments/totals?currency=dollars")

    assert every["items"] == [
        {"currency": "USD", "payments": 2, "net": 124_000, "net_decimal": "1240.00"},
        {"currency": "JPY", "payments": 1, "net": 5_000, "net_decimal": "5000"},
    ]
    assert [item["currency"] for item in one_product["items"]] == ["USD"]
    assert refused.status_code == 422


def test_another_workspaces_totals_never_count_these_payments(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_payment(alpha.workspace, amount=777_700)

    totals = api(beta).get("/api/v1/payments/totals").json()

    assert totals == {"items": []}
