"""Helpers for the tests of selling through Stripe Connect: connect a workspace's account
through the real pages and the double, make products and leads through the API, and post
signed Connect events to the webhook."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from billing.models import ConnectAccount
from tenants.models import Workspace
from tests.support.billing import deliver
from tests.support.clients import post
from tests.support.stripe_double import CONNECT_SECRET, StripeDouble


def connect_stripe(client: Client, stripe_api: StripeDouble, *, finish: bool = True) -> str:
    """Connect Stripe from Settings -> Payments as the signed-in admin; with `finish`, the
    workspace completes onboarding on Stripe's side and comes back. The account id."""
    response = client.post("/settings/payments/connect/")
    assert response.status_code == 302, response.content
    account_id = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert account_id.startswith("acct_"), response["Location"]
    if finish:
        stripe_api.complete_onboarding(account_id)
        back = client.get("/settings/payments/return/")
        assert back.status_code == 302, back.content
    return account_id


def connect_account_of(workspace: Workspace) -> ConnectAccount:
    return ConnectAccount.objects.get(workspace=workspace)


def make_product(api_client: Client, **values: Any) -> dict[str, Any]:
    body = {"name": "Course", "price": "49.00", "currency": "USD", **values}
    response = post(api_client, "/api/v1/products", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def make_lead(api_client: Client, **values: Any) -> dict[str, Any]:
    body = {"email": "ada@example.com", "first_name": "Ada", **values}
    response = post(api_client, "/api/v1/leads", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def post_connect_event(client: Client, event: dict[str, Any]):
    """POST a Connect event to the apex webhook, signed with the Connect endpoint's secret."""
    return deliver(client, event, secret=CONNECT_SECRET)


def deliver_all(client: Client, events: list[dict[str, Any]]) -> list[int]:
    statuses = []
    for event in events:
        response = post_connect_event(client, event)
        assert response.status_code == 200, response.content
        statuses.append(response.status_code)
    return statuses


def in_workspace(workspace: Workspace, read: Any) -> Any:
    with schema_context(workspace.schema_name):
        return read()
