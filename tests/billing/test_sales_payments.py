"""Payments from leads, recorded from the workspace's Connect webhooks: once per payment, on
the right lead (or a new one), the lead a customer, refunds and disputes applied, and never
in another workspace."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django_tenants.utils import schema_context

from billing.models import StripeEvent
from billing.payments.models import Payment
from crm.models import EventLog, Lead
from tests.support.clients import api, post
from tests.support.stripe_sales import (
    connect_stripe,
    deliver_all,
    make_lead,
    make_product,
    post_connect_event,
)

pytestmark = pytest.mark.django_db


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def seller(make_workspace, stripe_api):
    fixture = make_workspace("alpha", "Alpha Coaching")
    account_id = connect_stripe(fixture.signed_in_client(), stripe_api)
    return fixture, api(fixture), account_id


def checkout_for(client, *, product: dict, lead: dict) -> str:
    body = {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"}
    response = post(client, "/api/v1/payment-links", body)
    assert response.status_code == 201, response.content
    return str(response.json()["stripe_id"])


def payments_of(fixture) -> list[Payment]:
    with schema_context(fixture.workspace.schema_name):
        return list(Payment.objects.select_related("lead", "product").order_by("id"))


def test_a_paid_checkout_records_one_payment_and_makes_the_lead_a_customer(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client, name="Coaching", price="1200.00", currency="EUR")
    lead = make_lead(client)
    session_id = checkout_for(client, product=product, lead=lead)

    events = stripe_api.complete_checkout(session_id, account=account_id)
    deliver_all(apex_client, events)

    [payment] = payments_of(fixture)
    assert payment.amount == 120000 and payment.currency == "EUR"
    assert payment.lead_id == lead["id"] and payment.product_id == product["id"]
    assert payment.status == "paid" and payment.stripe_checkout_session_id == session_id
    assert (payment.stripe_payment_intent_id or "").startswith("pi_")
    assert StripeEvent.objects.get(event_id=events[-1]["id"]).outcome == "recorded"
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get(pk=lead["id"]).status == "customer"
        received = EventLog.objects.get(
            verb="payment_received", object_type="lead", object_id=lead["id"]
        )
        assert EventLog.objects.filter(object_type="payment", object_id=payment.pk).exists()
    assert received.changes["amount"] == 120000 and received.changes["currency"] == "EUR"
    assert received.changes["product"] == "Coaching"
    assert received.changes["amount_display"] == "EUR 1,200.00"


def test_the_payment_shows_on_the_lead_page_and_its_timeline(seller, stripe_api, apex_client):
    fixture, client, account_id = seller
    product = make_product(client, name="Coaching")
    lead = make_lead(client)
    deliver_all(
        apex_client,
        stripe_api.complete_checkout(
            checkout_for(client, product=product, lead=lead), account=account_id
        ),
    )
    browser = fixture.signed_in_client()

    card = browser.get(f"/leads/{lead['id']}/payments/").content.decode()
    page = browser.get(f"/leads/{lead['id']}/").content.decode()

    assert "USD 49.00" in card and "Paid" in card and "Coaching" in card
    assert "Payment received: USD 49.00" in page and "For Coaching" in page
    assert "Status: New → Customer" in page


def test_a_subscription_checkout_records_its_first_invoice_once_and_renewals_after(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(
        client, name="Membership", price="29.00", billing="recurring", interval="month"
    )
    lead = make_lead(client)
    session_id = checkout_for(client, product=product, lead=lead)

    events = stripe_api.complete_checkout(session_id, account=account_id)
    deliver_all(apex_client, events)  # invoice.paid arrives before checkout.session.completed
    session = stripe_api.get("checkout/sessions", session_id, account_id)
    renewal = stripe_api.put(
        "invoices",
        {
            "customer": session["customer"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": session["subscription"]},
            },
            "status": "paid",
            "amount_paid": 2900,
            "currency": "usd",
        },
        account_id,
    )
    post_connect_event(apex_client, stripe_api.event("invoice.paid", renewal, account=account_id))

    first, second = payments_of(fixture)
    assert first.stripe_checkout_session_id == session_id
    assert first.stripe_invoice_id == session["invoice"]
    assert second.stripe_invoice_id == renewal["id"] and second.lead_id == lead["id"]
    assert second.product_id == product["id"] and second.amount == 2900
    assert {first.stripe_subscription_id, second.stripe_subscription_id} == {
        session["subscription"]
    }
    # The first invoice asked Stripe for the subscription's metadata, in the right account.
    fetch = stripe_api.calls("GET", f"/v1/subscriptions/{session['subscription']}")
    assert fetch and fetch[0]["account"] == account_id


def test_a_payment_link_paid_from_an_unknown_email_creates_the_lead(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client, name="Workshop")
    link = post(client, "/api/v1/payment-links", {"product_id": product["id"]}).json()
    assert f"/link/{account_id}/" in link["url"]  # the workspace's own account

    # Someone who is not a lead yet pays on the link's hosted page.
    paid = urllib.request.Request(
        link["url"],
        data=urllib.parse.urlencode({"email": "Grace.Hopper@Example.com"}).encode(),
        method="POST",
    )
    with contextlib.suppress(urllib.error.HTTPError):  # the 303 to our thank-you page
        urllib.request.build_opener(NoRedirect).open(paid)
    deliver_all(apex_client, stripe_api.undelivered)

    [payment] = payments_of(fixture)
    assert payment.lead.email == "Grace.Hopper@Example.com"
    assert payment.lead.source == "stripe" and payment.lead.status == "customer"
    assert payment.stripe_payment_link_id == link["stripe_id"]
    assert payment.product_id == product["id"] and payment.amount == 4900


def test_a_payment_finds_the_existing_lead_by_email_in_any_case(seller, stripe_api, apex_client):
    fixture, client, account_id = seller
    lead = make_lead(client, email="grace@example.com")
    session = stripe_api.put(
        "checkout/sessions", {"mode": "payment", "line_items": [], "customer": None}, account_id
    )
    stripe_api.update("checkout/sessions", session["id"], {"amount_total": 500}, account_id)

    deliver_all(
        apex_client,
        stripe_api.complete_checkout(session["id"], email="GRACE@example.COM", account=account_id),
    )

    [payment] = payments_of(fixture)
    assert payment.lead_id == lead["id"] and payment.product is None
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 1


def paid_charge(stripe_api, seller, apex_client) -> tuple[Payment, dict]:
    fixture, client, account_id = seller
    product = make_product(client, price="100.00")
    lead = make_lead(client)
    session_id = checkout_for(client, product=product, lead=lead)
    deliver_all(apex_client, stripe_api.complete_checkout(session_id, account=account_id))
    session = stripe_api.get("checkout/sessions", session_id, account_id)
    intent = stripe_api.get("payment_intents", session["payment_intent"], account_id)
    return payments_of(fixture)[0], stripe_api.get("charges", intent["latest_charge"], account_id)


def test_a_partial_then_a_full_refund_update_the_payment(seller, stripe_api, apex_client):
    fixture, _client, account_id = seller
    payment, charge = paid_charge(stripe_api, seller, apex_client)
    from billing.stripe_api import connected, stripe_client

    stripe_client().v1.refunds.create(
        params={"charge": charge["id"], "amount": 2500}, options=connected(account_id)
    )
    partial = stripe_api.event("charge.refunded", charge, account=account_id)
    post_connect_event(apex_client, partial)
    after_partial = payments_of(fixture)[0]
    stripe_client().v1.refunds.create(
        params={"charge": charge["id"]}, options=connected(account_id)
    )
    full = stripe_api.event("charge.refunded", charge, account=account_id)
    post_connect_event(apex_client, full)
    post_connect_event(apex_client, partial | {"id": "evt_late_replay"})  # older, late

    assert after_partial.refunded_amount == 2500 and after_partial.status == "partially_refunded"
    [refunded] = payments_of(fixture)
    assert refunded.refunded_amount == 10000 and refunded.status == "refunded"
    assert refunded.stripe_charge_id == charge["id"]
    with schema_context(fixture.workspace.schema_name):
        verbs = list(
            EventLog.objects.filter(object_type="lead", verb="payment_refunded").values_list(
                "changes", flat=True
            )
        )
    assert [change["refunded_display"] for change in verbs] == ["USD 100.00", "USD 25.00"]
    page = fixture.signed_in_client().get(f"/leads/{payment.lead_id}/").content.decode()
    assert "Payment partly refunded: USD 25.00 of USD 100.00" in page


def test_a_dispute_marks_the_payment_and_its_close_is_never_reopened(
    seller, stripe_api, apex_client
):
    fixture, _client, account_id = seller
    payment, charge = paid_charge(stripe_api, seller, apex_client)
    dispute = stripe_api.put(
        "disputes",
        {
            "charge": charge["id"],
            "payment_intent": charge["payment_intent"],
            "amount": 10000,
            "currency": "usd",
            "reason": "fraudulent",
            "status": "needs_response",
        },
        account_id,
    )

    opened = stripe_api.event("charge.dispute.created", dispute, account=account_id)
    post_connect_event(apex_client, opened)
    disputed = payments_of(fixture)[0]
    won = stripe_api.event("charge.dispute.closed", dispute | {"status": "won"}, account=account_id)
    post_connect_event(apex_client, won)
    late = stripe_api.event(
        "charge.dispute.updated", dispute | {"status": "under_review"}, account=account_id
    )
    post_connect_event(apex_client, late)

    assert disputed.status == "disputed" and disputed.dispute_status == "needs_response"
    [closed] = payments_of(fixture)
    assert closed.dispute_status == "won" and closed.status == "paid"
    page = fixture.signed_in_client().get(f"/leads/{payment.lead_id}/").content.decode()
    assert "Payment disputed: USD 100.00" in page and "Reason: fraudulent" in page
    assert "Payment dispute closed" in page and "Dispute won" in page


def test_a_lost_dispute_keeps_the_payment_disputed(seller, stripe_api, apex_client):
    fixture, _client, account_id = seller
    _payment, charge = paid_charge(stripe_api, seller, apex_client)
    lost = {
        "id": "dp_lost",
        "object": "dispute",
        "charge": charge["id"],
        "payment_intent": charge["payment_intent"],
        "status": "lost",
    }

    post_connect_event(
        apex_client, stripe_api.event("charge.dispute.closed", lost, account=account_id)
    )

    [closed] = payments_of(fixture)
    assert closed.status == "disputed" and closed.dispute_status == "lost"


def test_a_refund_for_a_charge_we_never_recorded_is_acknowledged_and_changes_nothing(
    seller, stripe_api, apex_client
):
    fixture, _client, account_id = seller
    charge = {"id": "ch_elsewhere", "object": "charge", "amount": 100, "amount_refunded": 100}

    response = post_connect_event(
        apex_client, stripe_api.event("charge.refunded", charge, account=account_id)
    )

    assert response.status_code == 200 and response.json()["outcome"] == "unmatched"
    assert payments_of(fixture) == []


def test_an_unpaid_checkout_records_nothing(seller, stripe_api, apex_client):
    fixture, _client, account_id = seller
    session = {
        "id": "cs_async",
        "object": "checkout.session",
        "payment_status": "unpaid",
        "mode": "payment",
        "amount_total": 100,
        "currency": "usd",
    }

    response = post_connect_event(
        apex_client, stripe_api.event("checkout.session.completed", session, account=account_id)
    )

    assert response.json()["outcome"] == "not_paid_yet"
    assert payments_of(fixture) == []


def test_a_connect_event_for_workspace_a_never_touches_workspace_b(
    two_workspaces, stripe_api, apex_client
):
    alpha, beta = two_workspaces
    alpha_account = connect_stripe(alpha.signed_in_client(), stripe_api)
    connect_stripe(beta.signed_in_client(), stripe_api)
    alpha_api, beta_api = api(alpha), api(beta)
    alpha_lead = make_lead(alpha_api, email="same@example.com")
    beta_lead = make_lead(beta_api, email="same@example.com")
    assert alpha_lead["id"] == beta_lead["id"]  # the same id in both schemas
    product = make_product(alpha_api)
    make_product(beta_api)
    session_id = checkout_for(alpha_api, product=product, lead=alpha_lead)

    deliver_all(apex_client, stripe_api.complete_checkout(session_id, account=alpha_account))

    assert len(payments_of(alpha)) == 1
    assert payments_of(beta) == []
    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.get().status == "new"
        assert not EventLog.objects.filter(verb__startswith="payment_").exists()
    alpha_payment = payments_of(alpha)[0]
    beta_sees = beta.signed_in_client().get(f"/leads/{beta_lead['id']}/payments/")
    assert "No payments yet" in beta_sees.content.decode()
    assert alpha_payment.stripe_checkout_session_id not in beta_sees.content.decode()


def test_a_connect_event_for_an_unknown_account_changes_nothing_anywhere(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    events = stripe_api.complete_checkout(
        checkout_for(client, product=product, lead=lead), account=account_id
    )
    stranger = dict(events[-1], id="evt_stranger", account="acct_unknown")

    response = post_connect_event(apex_client, stranger)

    assert response.status_code == 200
    assert StripeEvent.objects.get(event_id="evt_stranger").outcome == "unknown_account"
    assert payments_of(fixture) == []


def test_a_redelivered_purchase_is_recorded_once(seller, stripe_api, apex_client):
    fixture, client, account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    events = stripe_api.complete_checkout(
        checkout_for(client, product=product, lead=lead), account=account_id
    )
    completed = events[-1]

    deliver_all(apex_client, [completed, completed])
    # Stripe may also send the same payment in a new event (a resend days later).
    resend = dict(completed, id="evt_resend", created=int(time.time()) + 86400)
    response = post_connect_event(apex_client, resend)

    assert response.json()["outcome"] == "already_recorded"
    assert len(payments_of(fixture)) == 1
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(verb="payment_received").count() == 1


def test_the_payment_is_credited_to_the_campaign_the_lead_clicked_within_the_window(
    sent, stripe_api, apex_client
):
    from datetime import UTC, datetime, timedelta

    from tests.support.webhooks import deliver_event

    fixture, campaign_id, messages, postmark_hook = sent
    account_id = connect_stripe(fixture.signed_in_client(), stripe_api)
    client = api(fixture)
    product = make_product(client)
    now = datetime.now(UTC)
    for message, clicked_at in ((messages[0], now - timedelta(days=9)), (messages[1], now)):
        click = {
            "RecordType": "Click",
            "MessageID": message.provider_id,
            "Recipient": message.to_email,
            "OriginalLink": "https://example.com/cohort",
            "ReceivedAt": (clicked_at - timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
        }
        assert deliver_event(postmark_hook, click).json() == {"status": "applied"}

    for message in messages:
        session_id = checkout_for(client, product=product, lead={"id": message.lead_id})
        deliver_all(apex_client, stripe_api.complete_checkout(session_id, account=account_id))

    outside, inside = payments_of(fixture)
    assert outside.lead_id == messages[0].lead_id and outside.campaign_id is None
    assert inside.lead_id == messages[1].lead_id and inside.campaign_id == campaign_id


def test_a_refund_that_arrives_before_its_payment_records_both_in_any_order(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client, price="100.00")
    lead = make_lead(client)
    session_id = checkout_for(client, product=product, lead=lead)
    paid_events = stripe_api.complete_checkout(session_id, account=account_id)  # held back
    session = stripe_api.get("checkout/sessions", session_id, account_id)
    intent = stripe_api.get("payment_intents", session["payment_intent"], account_id)
    from billing.stripe_api import connected, stripe_client

    stripe_client().v1.refunds.create(
        params={"payment_intent": intent["id"], "amount": 3000}, options=connected(account_id)
    )
    charge = stripe_api.get("charges", intent["latest_charge"], account_id)

    refund_first = post_connect_event(
        apex_client, stripe_api.event("charge.refunded", charge, account=account_id)
    )
    deliver_all(apex_client, paid_events)  # the payment's own events, late

    assert refund_first.json()["outcome"] == "applied"
    [payment] = payments_of(fixture)
    assert payment.stripe_checkout_session_id == session_id
    assert payment.stripe_payment_intent_id == intent["id"]
    assert payment.lead_id == lead["id"] and payment.product_id == product["id"]
    assert payment.refunded_amount == 3000 and payment.status == "partially_refunded"
    fetched = stripe_api.calls("GET", f"/v1/payment_intents/{intent['id']}")
    assert fetched and fetched[0]["account"] == account_id
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(verb="payment_received").count() == 1


def test_stripe_down_while_a_webhook_needs_it_is_503_and_the_event_is_not_claimed(
    seller, stripe_api, apex_client
):
    fixture, client, account_id = seller
    product = make_product(client)
    lead = make_lead(client)
    session_id = checkout_for(client, product=product, lead=lead)
    stripe_api.complete_checkout(session_id, account=account_id)  # not delivered yet
    session = stripe_api.get("checkout/sessions", session_id, account_id)
    intent = stripe_api.get("payment_intents", session["payment_intent"], account_id)
    charge = stripe_api.get("charges", intent["latest_charge"], account_id)
    refunded = stripe_api.event(
        "charge.refunded", charge | {"amount_refunded": 100}, account=account_id
    )
    stripe_api.fail_next = [500] * 3

    response = post_connect_event(apex_client, refunded)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_unavailable"
    assert not StripeEvent.objects.filter(event_id=refunded["id"]).exists()  # Stripe retries
    assert payments_of(fixture) == []
