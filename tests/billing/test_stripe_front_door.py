"""The Stripe seam: the official client against the double, and the webhook's door."""

from __future__ import annotations

import json
import time

import pytest

from billing.models import StripeEvent
from billing.stripe_api import idempotent, stripe_client
from tests.support.billing import deliver
from tests.support.stripe_double import PLATFORM_SECRET, signature_header

pytestmark = pytest.mark.django_db


def post_event(client, event: dict, *, secret: str = PLATFORM_SECRET, timestamp=None):
    if timestamp is None:
        return deliver(client, event, secret=secret)
    payload = json.dumps(event)
    return client.post(
        "/webhooks/stripe",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, secret, timestamp),
    )


def test_the_same_idempotency_key_makes_one_customer_even_when_the_answer_is_lost(stripe_api):
    stripe_api.fail_next = ["drop"]

    first = stripe_client().v1.customers.create(
        params={"email": "owner@alpha.example"}, options=idempotent("customer", 7)
    )
    again = stripe_client().v1.customers.create(
        params={"email": "owner@alpha.example"}, options=idempotent("customer", 7)
    )

    assert first.id == again.id
    assert len(stripe_api.all("customers")) == 1
    assert len(stripe_api.calls("POST", "/v1/customers")) == 3  # dropped, retried, repeated


def test_a_signed_event_is_recorded_once_however_often_it_arrives(apex_client, stripe_api):
    event = stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"})

    first = post_event(apex_client, event)
    second = post_event(apex_client, event)

    assert first.status_code == 200 and second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1


def test_a_bad_signature_is_400_and_records_nothing(apex_client, stripe_api):
    event = stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"})

    response = post_event(apex_client, event, secret="whsec_someone_else")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not StripeEvent.objects.exists()


def test_a_stale_timestamp_is_400_and_records_nothing(apex_client, stripe_api):
    event = stripe_api.event("customer.created", {"id": "cus_1", "object": "customer"})

    response = post_event(apex_client, event, timestamp=int(time.time()) - 301)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_connect_event_for_an_unknown_account_is_acknowledged_not_applied(
    apex_client, stripe_api
):
    event = stripe_api.event(
        "checkout.session.completed", {"id": "cs_1", "object": "checkout.session"}, account="acct_x"
    )

    response = post_event(apex_client, event, secret="whsec_connect_test")

    assert response.status_code == 200
    assert StripeEvent.objects.get(event_id=event["id"]).outcome in {"unknown_account", "ignored"}
