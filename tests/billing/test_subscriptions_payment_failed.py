"""A renewal that fails: the workspace is past due, everyone sees the banner (the owner
with the way to fix it), and the owner gets one email per invoice, at the Postmark double."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from billing.models import InvoiceNotice
from tenants.models import BillingStatus, Workspace
from tests.support.billing import (
    account_of,
    customer_of,
    deliver,
    jobs_run_on_commit,
    price_plan,
    subscribe,
)
from tests.support.clients import add_member, sign_in_client

pytestmark = pytest.mark.django_db


def failed_invoice(stripe_api, fixture, subscription) -> dict:
    return stripe_api.put(
        "invoices",
        {
            "customer": customer_of(fixture.workspace),
            "subscription": subscription["id"],
            "status": "open",
            "amount_due": 7900,
            "amount_paid": 0,
            "currency": "usd",
            "number": "INV-0042",
        },
    )


@pytest.fixture
def past_due(make_workspace, stripe_api, apex_client, postmark, django_capture_on_commit_callbacks):
    fixture = make_workspace("alpha", "Alpha Coaching")
    price_plan(stripe_api, "growth")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    stripe_api.set_subscription(subscription["id"], status="past_due")
    invoice = failed_invoice(stripe_api, fixture, subscription)
    event = stripe_api.event("invoice.payment_failed", invoice)
    with jobs_run_on_commit(django_capture_on_commit_callbacks):
        first = deliver(apex_client, event)
    return fixture, subscription, invoice, event, first


def test_a_failed_payment_makes_the_workspace_past_due_and_emails_the_owner(past_due, postmark):
    fixture, _, _, _, response = past_due

    assert response.json()["outcome"] == "past_due"
    with schema_context("public"):
        workspace = Workspace.objects.get(pk=fixture.workspace.pk)
    assert workspace.billing_status == BillingStatus.PAST_DUE
    assert account_of(fixture.workspace).past_due_since is not None
    assert postmark.accepted_to() == [fixture.owner_email]
    email = postmark.received[0]
    assert "Payment failed for Alpha Coaching" in email["Subject"]
    assert "$79" in email["TextBody"]
    assert f"{fixture.workspace.url}/settings/billing/" in email["TextBody"]


def test_the_owner_is_emailed_once_per_invoice_however_often_stripe_tells_us(
    past_due, postmark, stripe_api, apex_client, django_capture_on_commit_callbacks
):
    fixture, _, invoice, event, _ = past_due

    with jobs_run_on_commit(django_capture_on_commit_callbacks):
        again = deliver(apex_client, event)  # the same event redelivered
        retried = deliver(  # Stripe's next retry of the same invoice: a new event
            apex_client, stripe_api.event("invoice.payment_failed", invoice)
        )

    assert again.json()["outcome"] == "duplicate"
    assert retried.json()["outcome"] == "past_due"
    assert postmark.accepted_to() == [fixture.owner_email]
    assert InvoiceNotice.objects.filter(invoice_id=invoice["id"]).count() == 1


def test_everyone_sees_the_past_due_banner_and_only_the_owner_the_fix(past_due):
    fixture = past_due[0]
    member = add_member(fixture.workspace, "member")

    owner_page = fixture.signed_in_client().get("/").content.decode()
    member_page = sign_in_client(fixture.workspace, member.email).get("/").content.decode()

    assert "Payment failed." in owner_page and "Fix payment" in owner_page
    assert "Payment failed." in member_page and "Fix payment" not in member_page


def test_paying_the_invoice_clears_past_due_and_the_banner(past_due, stripe_api, apex_client):
    fixture, subscription, invoice, _, _ = past_due
    stripe_api.update("invoices", invoice["id"], {"status": "paid", "amount_paid": 7900})
    stripe_api.set_subscription(subscription["id"], status="active")

    response = deliver(apex_client, stripe_api.event("invoice.paid", invoice))

    assert response.json()["outcome"] == "applied"
    assert account_of(fixture.workspace).past_due_since is None
    assert "Payment failed." not in fixture.signed_in_client().get("/").content.decode()


def test_a_failure_replayed_after_the_invoice_was_paid_changes_nothing(
    past_due, stripe_api, apex_client, postmark
):
    fixture, subscription, invoice, _, _ = past_due
    stripe_api.update("invoices", invoice["id"], {"status": "paid"})
    stripe_api.set_subscription(subscription["id"], status="active")
    deliver(apex_client, stripe_api.event("invoice.paid", invoice))

    late = deliver(apex_client, stripe_api.event("invoice.payment_failed", invoice))

    assert late.json()["outcome"] == "settled"
    with schema_context("public"):
        assert Workspace.objects.get(pk=fixture.workspace.pk).billing_status == "active"
    assert len(postmark.received) == 1


def test_a_failed_payment_of_workspace_a_touches_nothing_of_workspace_b(
    two_workspaces, stripe_api, apex_client, postmark, django_capture_on_commit_callbacks
):
    alpha, beta = two_workspaces
    price_plan(stripe_api, "growth")
    customer_of(beta.workspace)
    subscription = subscribe(stripe_api, alpha.workspace, "growth", status="past_due")
    invoice = failed_invoice(stripe_api, alpha, subscription)
    invoice["metadata"] = {"workspace_id": str(beta.workspace.pk)}  # a claim that changes nothing

    with jobs_run_on_commit(django_capture_on_commit_callbacks):
        response = deliver(apex_client, stripe_api.event("invoice.payment_failed", invoice))

    assert response.json()["outcome"] == "past_due"
    with schema_context("public"):
        assert Workspace.objects.get(pk=beta.workspace.pk).billing_status == "trialing"
    assert postmark.accepted_to() == [alpha.owner_email]
    assert "Payment failed." not in beta.signed_in_client().get("/").content.decode()
