"""POST /api/v1/payment-links and the lead page's "Take a payment": a Checkout session for a
lead or a reusable payment link for a product, made in the workspace's own Stripe account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.payments.models import Payment, PaymentLink, StripePrice
from crm.models import EventLog
from tests.support.clients import api, patch, post
from tests.support.stripe_sales import connect_stripe, deliver_all, make_lead, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller(make_workspace, stripe_api):
    """A workspace whose Stripe account is connected and ready, with its API client."""
    fixture = make_workspace("alpha", "Alpha Coaching")
    account_id = connect_stripe(fixture.signed_in_client(), stripe_api)
    return fixture, api(fixture), account_id


def test_a_checkout_session_for_a_lead_is_made_in_the_workspaces_account(seller, stripe_api):
    fixture, client, account_id = seller
    product = make_product(client, name="12-week coaching", price="1200.00", currency="EUR")
    lead = make_lead(client, email="Ada@Example.com")

    response = post(
        client,
        "/api/v1/payment-links",
        {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "checkout_session" and body["lead_id"] == lead["id"]
    assert body["url"].startswith(f"{stripe_api.url}/pay/{account_id}/cs_")
    session = stripe_api.get("checkout/sessions", body["stripe_id"], account_id)
    assert session["mode"] == "payment"
    assert session["customer_email"] == "Ada@Example.com"
    assert session["metadata"] == {"product_id": str(product["id"]), "lead_id": str(lead["id"])}
    assert session["client_reference_id"] == f"lead-{lead['id']}"
    price = stripe_api.get("prices", session["line_items"][0]["price"], account_id)
    assert price["unit_amount"] == 120000 and price["currency"] == "eur"
    assert "recurring" not in price
    # Every call made in the workspace's account carries Stripe-Account.
    for call in stripe_api.calls("POST", "/v1/prices") + stripe_api.calls(
        "POST", "/v1/checkout/sessions"
    ):
        assert call["account"] == account_id and call["idempotency_key"]
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(
            verb="payment_link_created", object_type="lead", object_id=lead["id"]
        ).exists()


def test_a_recurring_product_makes_a_subscription_checkout_with_a_recurring_price(
    seller, stripe_api
):
    _fixture, client, account_id = seller
    product = make_product(
        client, name="Membership", price="29.00", billing="recurring", interval="month"
    )
    lead = make_lead(client)

    body = post(
        client,
        "/api/v1/payment-links",
        {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"},
    ).json()

    session = stripe_api.get("checkout/sessions", body["stripe_id"], account_id)
    assert session["mode"] == "subscription"
    assert session["subscription_data"]["metadata"]["lead_id"] == str(lead["id"])
    price = stripe_api.get("prices", session["line_items"][0]["price"], account_id)
    assert price["recurring"] == {"interval": "month"} and price["unit_amount"] == 2900


def test_a_zero_decimal_currency_is_priced_in_whole_units(seller, stripe_api):
    _fixture, client, account_id = seller
    product = make_product(client, name="Seminar", price="12000", currency="JPY")

    body = post(client, "/api/v1/payment-links", {"product_id": product["id"]}).json()

    link = stripe_api.get("payment_links", body["stripe_id"], account_id)
    price = stripe_api.get("prices", link["line_items"][0]["price"], account_id)
    assert price["unit_amount"] == 12000 and price["currency"] == "jpy"


def test_the_price_is_made_once_and_again_when_the_products_price_changes(seller, stripe_api):
    fixture, client, account_id = seller
    product = make_product(client, price="49.00")
    lead = make_lead(client)
    body = {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"}

    post(client, "/api/v1/payment-links", body)
    post(client, "/api/v1/payment-links", body)
    patch(client, f"/api/v1/products/{product['id']}", {"price": "59.00"})
    post(client, "/api/v1/payment-links", body)

    prices = stripe_api.all("prices", account_id)
    assert sorted(price["unit_amount"] for price in prices) == [4900, 5900]
    assert len({price["product"] for price in prices}) == 1  # one Stripe product
    with schema_context(fixture.workspace.schema_name):
        assert StripePrice.objects.filter(product_id=product["id"]).count() == 2
        assert PaymentLink.objects.filter(kind="checkout_session").count() == 3


def test_a_payment_link_is_reusable_one_per_product_and_price(seller, stripe_api):
    _fixture, client, account_id = seller
    product = make_product(client)

    first = post(client, "/api/v1/payment-links", {"product_id": product["id"]}).json()
    again = post(client, "/api/v1/payment-links", {"product_id": product["id"]}).json()

    assert first["id"] == again["id"] and first["kind"] == "payment_link"
    assert first["url"].startswith(f"{stripe_api.url}/link/{account_id}/plink_")
    link = stripe_api.get("payment_links", first["stripe_id"], account_id)
    assert link["metadata"] == {"product_id": str(product["id"])}
    assert len(stripe_api.all("payment_links", account_id)) == 1


def test_a_workspace_that_is_not_connected_is_refused_with_409(make_workspace, stripe_api):
    fixture = make_workspace()
    client = api(fixture)
    product = make_product(client)

    response = post(client, "/api/v1/payment-links", {"product_id": product["id"]})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payments_not_ready"
    assert "Settings -> Payments" in response.json()["error"]["message"]
    assert not stripe_api.requests


def test_an_unfinished_onboarding_is_refused_with_409(make_workspace, stripe_api):
    fixture = make_workspace()
    connect_stripe(fixture.signed_in_client(), stripe_api, finish=False)
    client = api(fixture)
    product = make_product(client)

    response = post(client, "/api/v1/payment-links", {"product_id": product["id"]})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payments_not_ready"
    assert not stripe_api.calls("POST", "/v1/prices")


def test_another_workspaces_lead_or_product_is_404_and_nothing_is_made(two_workspaces, stripe_api):
    alpha, beta = two_workspaces
    connect_stripe(alpha.signed_in_client(), stripe_api)
    connect_stripe(beta.signed_in_client(), stripe_api)
    alpha_api, beta_api = api(alpha), api(beta)
    make_product(alpha_api, name="First")
    alpha_product = make_product(alpha_api, name="Second")  # id 2: beta has no product 2
    make_lead(alpha_api, email="first@alpha.example")
    alpha_lead = make_lead(alpha_api)  # id 2: beta has no lead 2
    beta_product = make_product(beta_api, name="Beta only")
    make_lead(beta_api, email="someone@beta.example")
    post(alpha_api, "/api/v1/payment-links", {"product_id": alpha_product["id"]})
    stripe_before = len(stripe_api.requests)

    foreign_product = post(beta_api, "/api/v1/payment-links", {"product_id": alpha_product["id"]})
    foreign_lead = post(
        beta_api,
        "/api/v1/payment-links",
        {"product_id": beta_product["id"], "lead_id": alpha_lead["id"], "kind": "checkout_session"},
    )
    alpha_token_on_beta = alpha_api.post(
        "/api/v1/payment-links",
        {"product_id": alpha_product["id"]},
        content_type="application/json",
        HTTP_HOST=beta.workspace.primary_host,
    )

    assert foreign_product.status_code == 404
    assert foreign_product.json()["error"]["code"] == "not_found"
    assert foreign_lead.status_code == 404
    assert alpha_token_on_beta.status_code == 401
    assert "Second" not in foreign_product.content.decode()
    assert len(stripe_api.requests) == stripe_before
    with schema_context(beta.workspace.schema_name):
        assert not PaymentLink.objects.exists()


def test_a_checkout_session_without_a_lead_is_422(seller):
    _fixture, client, _account_id = seller
    product = make_product(client)

    response = post(
        client, "/api/v1/payment-links", {"product_id": product["id"], "kind": "checkout_session"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "lead_id"


def test_bad_input_is_a_4xx_in_the_error_shape(seller):
    _fixture, client, _account_id = seller
    product = make_product(client)

    wrong_kind = post(client, "/api/v1/payment-links", {"product_id": product["id"], "kind": "x"})
    no_product = post(client, "/api/v1/payment-links", {"kind": "payment_link"})
    bad_url = post(
        client, "/api/v1/payment-links", {"product_id": product["id"], "success_url": "nope"}
    )

    for response in (wrong_kind, no_product, bad_url):
        assert response.status_code == 422
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_an_archived_or_free_product_is_refused_with_409(seller):
    _fixture, client, _account_id = seller
    archived = make_product(client, name="Old course")
    patch(client, f"/api/v1/products/{archived['id']}", {"active": False})
    free = make_product(client, name="Freebie", price="0")

    for product in (archived, free):
        response = post(client, "/api/v1/payment-links", {"product_id": product["id"]})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "product_not_sellable"


@pytest.mark.parametrize("failure", [500, 429, "slow"])
def test_stripe_down_is_503_and_nothing_is_stored(seller, stripe_api, failure):
    fixture, client, _account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    stripe_api.fail_next = [failure] * 3

    response = post(
        client,
        "/api/v1/payment-links",
        {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"},
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_unavailable"
    with schema_context(fixture.workspace.schema_name):
        assert not PaymentLink.objects.exists()
        assert not StripePrice.objects.exists()
        assert not EventLog.objects.filter(verb="payment_link_created").exists()


def test_stripe_down_after_the_price_is_made_stores_no_link(seller, stripe_api):
    fixture, client, _account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    body = {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"}
    post(client, "/api/v1/payment-links", body)  # the price exists now
    stripe_api.fail_next = [503] * 3

    response = post(client, "/api/v1/payment-links", body)

    assert response.status_code == 503
    with schema_context(fixture.workspace.schema_name):
        assert PaymentLink.objects.count() == 1


def test_take_a_payment_on_the_lead_page_makes_a_checkout_page(seller, stripe_api):
    fixture, client, _account_id = seller
    product = make_product(client, name="Coaching")
    lead = make_lead(client)
    browser = fixture.signed_in_client()

    lead_page = browser.get(f"/leads/{lead['id']}/")
    form = browser.get(f"/leads/{lead['id']}/take-payment/")
    made = browser.post(
        f"/leads/{lead['id']}/take-payment/",
        {"product": str(product["id"]), "kind": "checkout_session"},
    )

    assert f'href="/leads/{lead["id"]}/take-payment/"' in lead_page.content.decode()
    assert f'hx-get="/leads/{lead["id"]}/payments/"' in lead_page.content.decode()
    assert "Coaching · USD 49.00" in form.content.decode()
    assert made.status_code == 302
    shown = browser.get(made["Location"])
    reloaded = browser.get(made["Location"])
    with schema_context(fixture.workspace.schema_name):
        link = PaymentLink.objects.get()  # reloading the result made no other
    assert link.url in shown.content.decode() and link.lead_id == lead["id"]
    assert link.url in reloaded.content.decode()


def test_take_a_payment_before_connecting_says_how_to_set_it_up(make_workspace, stripe_api):
    fixture = make_workspace()
    lead = make_lead(api(fixture))

    page = fixture.signed_in_client().get(f"/leads/{lead['id']}/take-payment/")

    assert page.status_code == 200
    assert "Payments are not set up yet" in page.content.decode()
    assert 'href="/settings/payments/"' in page.content.decode()


def test_another_workspaces_lead_has_no_take_a_payment_page(two_workspaces, stripe_api):
    alpha, beta = two_workspaces
    make_lead(api(alpha), email="first@alpha.example")
    alpha_lead = make_lead(api(alpha))  # id 2: beta has only lead 1
    make_lead(api(beta), email="someone@beta.example")
    browser = beta.signed_in_client()

    page = browser.get(f"/leads/{alpha_lead['id']}/take-payment/")
    fragment = browser.get(f"/leads/{alpha_lead['id']}/payments/")
    alpha_cookie_on_beta = alpha.signed_in_client().get(
        f"/leads/{alpha_lead['id']}/payments/", HTTP_HOST=beta.workspace.primary_host
    )

    assert page.status_code == 404 and fragment.status_code == 404
    assert "ada@example.com" not in fragment.content.decode()
    assert alpha_cookie_on_beta.status_code == 302


def test_a_read_only_workspace_makes_no_payment_links_but_keeps_its_payments(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    body = {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"}
    session_id = post(client, "/api/v1/payment-links", body).json()["stripe_id"]
    fixture.workspace.read_only_from = timezone.now() - timedelta(minutes=1)
    fixture.workspace.save(update_fields=["read_only_from"])
    stripe_before = len(stripe_api.requests)

    refused = post(client, "/api/v1/payment-links", body)
    connect = fixture.signed_in_client().post("/settings/payments/connect/")
    deliver_all(apex_client, stripe_api.complete_checkout(session_id, account=account_id))

    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "workspace_read_only"
    assert connect.status_code == 402
    assert len(stripe_api.requests) == stripe_before
    with schema_context(fixture.workspace.schema_name):
        assert PaymentLink.objects.count() == 1
        assert Payment.objects.count() == 1  # money already taken is still recorded
