"""A workspace's subscription: the trial at sign-up, the Stripe customer made once, and
Stripe's events (in any order, replayed, for the right workspace only) through the real
signature check to the plan, the standing and the Workspace's copy of the limits."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import BillingAccount, StripeEvent
from billing.services.accounts import end_expired_trials
from billing.tasks import create_stripe_customer_job
from tenants.models import BillingStatus, Workspace
from tests.support.billing import (
    account_of,
    customer_of,
    deliver,
    jobs_run_on_commit,
    price_plan,
    subscribe,
)

pytestmark = pytest.mark.django_db


def workspace_row(fixture) -> Workspace:
    with schema_context("public"):
        return Workspace.objects.get(pk=fixture.workspace.pk)


# --- Sign-up: the trial and the Stripe customer ----------------------------------------------


def test_sign_up_starts_the_growth_trial_and_makes_one_stripe_customer(
    apex_client, stripe_api, django_capture_on_commit_callbacks
):
    body = {
        "name": "Gamma Studio",
        "slug": "gamma",
        "owner_email": "owner@gamma.example",
        "owner_password": "a long owner passphrase 7",
    }
    with jobs_run_on_commit(django_capture_on_commit_callbacks):
        response = apex_client.post("/api/workspaces", body, content_type="application/json")

    assert response.status_code == 201, response.content
    workspace = Workspace.objects.get(slug="gamma")
    account = BillingAccount.objects.get(workspace=workspace)
    assert account.plan.slug == "growth"
    assert (
        timedelta(days=13, hours=23) < account.trial_ends_at - timezone.now() <= timedelta(days=14)
    )
    assert workspace.billing_status == BillingStatus.TRIALING
    assert (workspace.seat_limit, workspace.lead_limit, workspace.monthly_email_limit) == (
        10,
        50_000,
        100_000,
    )
    customers = stripe_api.all("customers")
    assert [c["metadata"]["workspace_id"] for c in customers] == [str(workspace.pk)]
    assert account.stripe_customer_id == customers[0]["id"]
    assert stripe_api.calls("POST", "/v1/customers")[0]["idempotency_key"] == (
        f"crm:customer:{workspace.pk}"
    )


def test_a_retried_job_and_a_dropped_answer_make_one_stripe_customer(make_workspace, stripe_api):
    fixture = make_workspace()
    stripe_api.fail_next = ["drop"]  # Stripe makes it, the answer is lost, the client retries

    first = create_stripe_customer_job.apply(args=[fixture.workspace.pk]).get()
    BillingAccount.objects.filter(workspace=fixture.workspace).update(stripe_customer_id=None)
    again = create_stripe_customer_job.apply(args=[fixture.workspace.pk]).get()  # a retried job

    assert first == again
    assert len(stripe_api.all("customers")) == 1
    assert account_of(fixture.workspace).stripe_customer_id == first


def test_the_customer_job_retries_with_backoff_while_stripe_is_down(make_workspace, stripe_api):
    fixture = make_workspace()
    stripe_api.fail_next = [500, 500, 500]  # the client's own three tries all fail

    result = create_stripe_customer_job.apply(args=[fixture.workspace.pk])

    assert result.successful(), result.traceback
    assert len(stripe_api.all("customers")) == 1
    assert account_of(fixture.workspace).stripe_customer_id == stripe_api.all("customers")[0]["id"]


def test_the_customer_job_skips_when_stripe_is_not_configured(make_workspace, settings):
    fixture = make_workspace()
    settings.STRIPE_SECRET_KEY = ""

    result = create_stripe_customer_job.apply(args=[fixture.workspace.pk])

    assert result.get() == ""
    assert account_of(fixture.workspace).stripe_customer_id is None


def test_a_trial_that_ends_without_a_subscription_moves_to_the_free_plan(two_workspaces):
    ended, running = two_workspaces
    BillingAccount.objects.filter(workspace=ended.workspace).update(
        trial_ends_at=timezone.now() - timedelta(minutes=1)
    )

    assert end_expired_trials() == 1
    assert end_expired_trials() == 0  # nobody moves twice

    moved = workspace_row(ended)
    assert moved.billing_status == BillingStatus.FREE
    assert (moved.seat_limit, moved.lead_limit, moved.monthly_email_limit) == (2, 1000, 2500)
    assert account_of(ended.workspace).plan.slug == "free"
    assert workspace_row(running).billing_status == BillingStatus.TRIALING


# --- Checkout completion and subscription events ----------------------------------------------


def checkout_session(stripe_api, fixture, slug: str, interval: str = "month") -> dict:
    return stripe_api.put(
        "checkout/sessions",
        {
            "mode": "subscription",
            "customer": customer_of(fixture.workspace),
            "line_items": [{"price": f"price_{slug}_{interval}", "quantity": 1}],
            "client_reference_id": str(fixture.workspace.pk),
            "metadata": {"workspace_id": str(fixture.workspace.pk)},
            "subscription_data": {"metadata": {"workspace_id": str(fixture.workspace.pk)}},
            "status": "open",
        },
    )


def test_checkout_completion_activates_the_plan_and_copies_its_limits(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "starter")
    session = checkout_session(stripe_api, fixture, "starter", "year")

    events = stripe_api.complete_checkout(session["id"])
    answers = [deliver(apex_client, event) for event in events]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    account = account_of(fixture.workspace)
    assert (account.plan.slug, account.interval, account.subscription_status) == (
        "starter",
        "year",
        "active",
    )
    assert (
        account.stripe_subscription_id
        == stripe_api.get("checkout/sessions", session["id"])["subscription"]
    )
    assert account.current_period_end > timezone.now() + timedelta(days=360)
    workspace = workspace_row(fixture)
    assert workspace.billing_status == BillingStatus.ACTIVE
    assert (workspace.seat_limit, workspace.lead_limit, workspace.monthly_email_limit) == (
        3,
        5_000,
        10_000,
    )


def test_shuffled_and_replayed_subscription_events_end_in_the_state_stripe_has(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    created = stripe_api.event("customer.subscription.created", subscription)
    stripe_api.set_subscription(subscription["id"], cancel_at_period_end=True)
    updated = stripe_api.event("customer.subscription.updated", subscription)
    ended_at = int(timezone.now().timestamp()) - 86400
    stripe_api.set_subscription(subscription["id"], status="canceled", ended_at=ended_at)
    deleted = stripe_api.event("customer.subscription.deleted", subscription)
    events = [created, updated, deleted]
    random.Random(11).shuffle(events)

    for event in events:
        assert deliver(apex_client, event).status_code == 200
    # Days later: the same events again (duplicates), and new ids carrying old snapshots.
    replies = [deliver(apex_client, event).json()["outcome"] for event in events]
    for old in (created, updated):
        renewed = {**old, "id": f"{old['id']}_late"}
        assert deliver(apex_client, renewed).json()["outcome"] == "applied"

    assert replies == ["duplicate"] * 3
    account = account_of(fixture.workspace)
    assert account.subscription_status == "canceled"
    assert account.ended_at is not None and int(account.ended_at.timestamp()) == ended_at
    workspace = workspace_row(fixture)
    assert workspace.billing_status == BillingStatus.ENDED
    assert workspace.read_only_from == account.ended_at + timedelta(days=7)
    ids = [event["id"] for event in events] + [f"{old['id']}_late" for old in (created, updated)]
    assert StripeEvent.objects.filter(event_id__in=ids).count() == 5


def test_an_ended_subscription_makes_the_workspace_read_only_after_the_grace_period(
    make_workspace, stripe_api, apex_client, settings
):
    settings.CRM_BILLING_GRACE_DAYS = 3
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    ended_at = timezone.now() - timedelta(days=4)
    stripe_api.set_subscription(
        subscription["id"], status="canceled", ended_at=int(ended_at.timestamp())
    )

    deliver(apex_client, stripe_api.event("customer.subscription.deleted", subscription))

    workspace = workspace_row(fixture)
    assert workspace.billing_status == BillingStatus.ENDED
    assert workspace.is_read_only  # ended four days ago, three days of grace
    page = fixture.signed_in_client().get("/leads/")
    assert page.status_code == 200  # it can still sign in and see everything
    assert "This workspace is read-only since" in page.content.decode()
    assert Workspace.objects.filter(pk=fixture.workspace.pk).exists()  # never deleted


def test_a_new_subscription_after_the_end_clears_read_only(make_workspace, stripe_api, apex_client):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    old = subscribe(stripe_api, fixture.workspace, "growth")
    stripe_api.set_subscription(
        old["id"], status="canceled", ended_at=int(timezone.now().timestamp())
    )
    deliver(apex_client, stripe_api.event("customer.subscription.deleted", old))
    assert workspace_row(fixture).read_only_from is not None

    new = subscribe(stripe_api, fixture.workspace, "growth", "year")
    deliver(apex_client, stripe_api.event("customer.subscription.created", new))
    late_old = deliver(apex_client, stripe_api.event("customer.subscription.updated", old))

    assert late_old.json()["outcome"] == "other_subscription"
    workspace = workspace_row(fixture)
    assert workspace.billing_status == BillingStatus.ACTIVE
    assert workspace.read_only_from is None
    account = account_of(fixture.workspace)
    assert (account.stripe_subscription_id, account.interval) == (new["id"], "year")


def test_stripe_down_while_applying_an_event_is_503_and_changes_nothing(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    event = stripe_api.event("customer.subscription.created", subscription)
    stripe_api.fail_next = [500, 500, 500]

    response = deliver(apex_client, event)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_unavailable"
    assert not StripeEvent.objects.filter(event_id=event["id"]).exists()  # Stripe will resend
    assert account_of(fixture.workspace).subscription_status == ""
    assert deliver(apex_client, event).json()["outcome"] == "applied"  # the redelivery works


# --- Isolation ---------------------------------------------------------------------------------


def test_an_event_for_workspace_a_never_changes_workspace_b(
    two_workspaces, stripe_api, apex_client
):
    alpha, beta = two_workspaces
    price_plan(stripe_api, "scale")
    customer_of(beta.workspace)
    # A's subscription, whose metadata claims B: the customer decides, and it is A's.
    subscription = subscribe(stripe_api, alpha.workspace, "scale")
    subscription["metadata"] = {"workspace_id": str(beta.workspace.pk)}
    claimed = deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    # A Checkout for A's customer that names B as its reference.
    session = checkout_session(stripe_api, alpha, "scale")
    claims_beta = {"workspace_id": str(beta.workspace.pk)}
    stripe_api.update(
        "checkout/sessions",
        session["id"],
        {"client_reference_id": str(beta.workspace.pk), "metadata": claims_beta},
    )
    events = stripe_api.complete_checkout(session["id"])
    outcomes = [deliver(apex_client, event).json()["outcome"] for event in events]

    assert claimed.status_code == 200 and claimed.json()["outcome"] == "unknown_customer"
    assert outcomes[-1] == "unknown_customer"  # the checkout that names B is refused
    b_account = account_of(beta.workspace)
    assert (b_account.plan.slug, b_account.stripe_subscription_id) == ("growth", "")
    assert workspace_row(beta).billing_status == BillingStatus.TRIALING
    assert workspace_row(beta).lead_limit == 50_000


def test_a_subscription_stripe_no_longer_has_is_taken_from_the_event(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    stripe_api.set_subscription(
        subscription["id"], status="canceled", ended_at=int(timezone.now().timestamp())
    )
    deleted = stripe_api.event("customer.subscription.deleted", subscription)
    with stripe_api.lock:  # gone from Stripe: a retrieve now answers 404 resource_missing
        del stripe_api.objects[("", "subscriptions")][subscription["id"]]

    response = deliver(apex_client, deleted)

    assert response.json()["outcome"] == "applied"
    assert workspace_row(fixture).billing_status == BillingStatus.ENDED
    assert account_of(fixture.workspace).subscription_status == "canceled"


def test_a_plan_change_in_the_portal_moves_the_workspace_to_the_new_plans_limits(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    price_plan(stripe_api, "starter")
    subscription = subscribe(stripe_api, fixture.workspace, "growth", "year")
    deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    items = subscription["items"]
    items["data"][0]["price"] = stripe_api.get("prices", "price_starter_month")
    stripe_api.set_subscription(subscription["id"], items=items, cancel_at_period_end=True)

    response = deliver(apex_client, stripe_api.event("customer.subscription.updated", subscription))

    assert response.json()["outcome"] == "applied"
    account = account_of(fixture.workspace)
    assert (account.plan.slug, account.interval, account.cancel_at_period_end) == (
        "starter",
        "month",
        True,
    )
    assert workspace_row(fixture).seat_limit == 3
    page = fixture.signed_in_client().get("/settings/billing/").content.decode()
    assert "Ends on" in page and "Access until" in page
