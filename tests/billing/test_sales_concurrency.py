"""The same purchase delivered three times at once is recorded once.

Each delivery is its own thread with its own database connection, against a workspace whose
rows are committed (a transaction-per-test would hide the race: every thread would wait on the
one test transaction), so the claim of the event id and the payment's unique Stripe ids are
what keeps it one payment."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from billing.models import StripeEvent
from billing.payments.models import Payment
from crm.models import EventLog, Lead
from tests.support.clients import bearer_client, post, sign_in_client
from tests.support.stripe_sales import (
    connect_stripe,
    make_lead,
    make_product,
    post_connect_event,
)
from tests.support.workers import committed_workspace


@pytest.fixture
def committed_seller(django_db_blocker, stripe_api) -> Iterator[tuple]:
    """A committed workspace with a connected Stripe account, a product, a lead and the
    events of that lead's paid Checkout (not delivered yet)."""
    with (
        django_db_blocker.unblock(),
        committed_workspace(django_db_blocker, prefix="race", name="Race Courses") as workspace,
    ):
        email = f"owner@{workspace.slug}.example"
        account_id = connect_stripe(sign_in_client(workspace, email), stripe_api)
        client = bearer_client(workspace, email)
        product = make_product(client)
        lead = make_lead(client, email="buyer@example.com")
        made = post(
            client,
            "/api/v1/payment-links",
            {"product_id": product["id"], "lead_id": lead["id"], "kind": "checkout_session"},
        ).json()
        events = stripe_api.complete_checkout(made["stripe_id"], account=account_id)
        try:
            yield workspace, events
        finally:
            StripeEvent.objects.filter(account=account_id).delete()


def deliver_at_once(events: list[dict]) -> list[tuple[int, str]]:
    """POST each event from its own thread (own connection), all released together."""
    start = threading.Barrier(len(events))
    answers: list[tuple[int, str]] = []

    def deliver(event: dict) -> None:
        try:
            start.wait()
            response = post_connect_event(Client(HTTP_HOST="localhost"), event)
            answers.append((response.status_code, response.json().get("outcome", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_the_same_webhook_delivered_three_times_concurrently_records_one_payment(
    committed_seller, django_db_blocker
):
    workspace, events = committed_seller
    completed = events[-1]

    with django_db_blocker.unblock():
        answers = deliver_at_once([completed, completed, completed])

        assert sorted(answers) == [(200, "duplicate"), (200, "duplicate"), (200, "recorded")]
        assert StripeEvent.objects.filter(event_id=completed["id"]).count() == 1
        with schema_context(workspace.schema_name):
            assert Payment.objects.count() == 1
            assert EventLog.objects.filter(verb="payment_received").count() == 1
            assert Lead.objects.get().status == "customer"


def test_three_different_events_for_one_payment_at_once_record_one_payment(
    committed_seller, django_db_blocker
):
    """Stripe resends a payment as new events too: the payment's unique Stripe ids, not the
    event ids, keep these to one payment, and the payer's new lead is made once."""
    workspace, events = committed_seller
    completed = events[-1]
    session = dict(completed["data"]["object"], metadata={}, client_reference_id=None)
    session["customer_details"] = {"email": "new.payer@example.com", "name": "New Payer"}
    copies = [
        dict(completed, id=f"{completed['id']}_{n}", data={"object": session}) for n in range(3)
    ]

    with django_db_blocker.unblock():
        answers = deliver_at_once(copies)

        outcomes = sorted(outcome for _, outcome in answers)
        assert outcomes == ["already_recorded", "already_recorded", "recorded"], answers
        with schema_context(workspace.schema_name):
            assert Payment.objects.count() == 1
            assert Lead.objects.filter(email="new.payer@example.com").count() == 1
            assert EventLog.objects.filter(verb="payment_received").count() == 1
