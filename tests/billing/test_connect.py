"""Settings -> Payments: a workspace connects its own Stripe account (Connect Express) and
sees whether it can take charges; account.updated keeps the flags."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from django_tenants.utils import schema_context

from billing.models import ConnectAccount, StripeEvent
from crm.models import EventLog
from tests.support.clients import add_member, sign_in_client
from tests.support.stripe_sales import connect_stripe, post_connect_event

pytestmark = pytest.mark.django_db


def test_the_settings_index_has_a_payments_card(make_workspace):
    fixture = make_workspace()

    page = fixture.signed_in_client().get("/settings/")

    assert 'href="/settings/payments/"' in page.content.decode()


def test_before_connecting_the_page_offers_to_connect_stripe(make_workspace):
    fixture = make_workspace()

    page = fixture.signed_in_client().get("/settings/payments/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Not connected" in text and "Connect Stripe" in text


def test_onboarding_through_the_hosted_page_ends_ready_to_take_charges(make_workspace, stripe_api):
    fixture = make_workspace()
    client = fixture.signed_in_client()

    page = client.get("/settings/payments/")
    start = client.post("/settings/payments/connect/")
    assert start.status_code == 302
    onboarding = start["Location"]
    assert onboarding.startswith(f"{stripe_api.url}/onboard/acct_")
    # Browsers apply the page's form-action to its form's redirect: it lets this one go.
    form_action = next(
        part for part in page["Content-Security-Policy"].split(";") if "form-action" in part
    )
    assert stripe_api.url in form_action

    # The workspace fills in Stripe's hosted form; Stripe sends it back to our return URL.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(onboarding, data=b"", method="POST"))
    except urllib.error.HTTPError as answer:
        assert answer.code == 303
        back_to = answer.headers["Location"]
    assert back_to == f"{fixture.workspace.url}/settings/payments/return/"
    returned = client.get("/settings/payments/return/", follow=True)

    account = ConnectAccount.objects.get(workspace=fixture.workspace)
    assert account.is_ready and account.payouts_enabled
    assert "Ready to take payments" in returned.content.decode()
    create = stripe_api.calls("POST", "/v1/accounts")[0]
    assert create["params"]["type"] == "express"
    assert create["idempotency_key"] == f"crm:connect-account:{fixture.workspace.pk}"
    assert create["account"] == ""  # made by the platform, about the account
    link = stripe_api.calls("POST", "/v1/account_links")[0]
    assert link["params"]["type"] == "account_onboarding"
    assert link["params"]["account"] == account.stripe_account_id
    assert stripe_api.calls("GET", f"/v1/accounts/{account.stripe_account_id}")
    with schema_context(fixture.workspace.schema_name):
        verbs = set(EventLog.objects.values_list("verb", flat=True))
    assert {"stripe_connect_started", "stripe_connect_updated"} <= verbs


def test_connecting_twice_keeps_one_account(make_workspace, stripe_api):
    fixture = make_workspace()
    client = fixture.signed_in_client()

    first = connect_stripe(client, stripe_api, finish=False)
    second = connect_stripe(client, stripe_api, finish=False)

    assert first == second
    assert len(stripe_api.all("accounts")) == 1
    assert ConnectAccount.objects.filter(workspace=fixture.workspace).count() == 1


def test_an_unfinished_onboarding_says_what_is_missing(make_workspace, stripe_api):
    fixture = make_workspace()
    client = fixture.signed_in_client()
    connect_stripe(client, stripe_api, finish=False)

    page = client.get("/settings/payments/return/", follow=True)

    text = page.content.decode()
    assert "Setup unfinished" in text
    assert "Finish Stripe" in text and "Continue setup on Stripe" in text


def test_an_expired_onboarding_link_makes_a_fresh_one(make_workspace, stripe_api):
    fixture = make_workspace()
    client = fixture.signed_in_client()
    connect_stripe(client, stripe_api, finish=False)

    again = client.get("/settings/payments/refresh/")

    assert again.status_code == 302 and "/onboard/acct_" in again["Location"]
    assert len(stripe_api.calls("POST", "/v1/account_links")) == 2
    assert len(stripe_api.all("accounts")) == 1


def test_account_updated_sets_the_flags_of_that_workspace_only(
    two_workspaces, stripe_api, apex_client
):
    alpha, beta = two_workspaces
    alpha_account = connect_stripe(alpha.signed_in_client(), stripe_api, finish=False)
    beta_account = connect_stripe(beta.signed_in_client(), stripe_api, finish=False)
    ready = stripe_api.update(
        "accounts",
        alpha_account,
        {"charges_enabled": True, "details_submitted": True, "payouts_enabled": True},
    )

    response = post_connect_event(
        apex_client, stripe_api.event("account.updated", ready, account=alpha_account)
    )

    assert response.status_code == 200 and response.json()["outcome"] == "applied"
    assert ConnectAccount.objects.get(stripe_account_id=alpha_account).is_ready
    assert not ConnectAccount.objects.get(stripe_account_id=beta_account).is_ready
    with schema_context(beta.workspace.schema_name):
        assert not EventLog.objects.filter(verb="stripe_connect_updated").exists()


def test_account_updated_replayed_out_of_order_ends_in_the_latest_objects_state(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    account_id = connect_stripe(fixture.signed_in_client(), stripe_api, finish=False)
    ready = stripe_api.event(
        "account.updated",
        {
            "id": account_id,
            "object": "account",
            "charges_enabled": True,
            "details_submitted": True,
            "payouts_enabled": True,
        },
        account=account_id,
    )

    post_connect_event(apex_client, ready)
    replay = post_connect_event(apex_client, ready)

    assert replay.json()["outcome"] == "duplicate"
    assert ConnectAccount.objects.get(stripe_account_id=account_id).is_ready


def test_members_cannot_open_or_connect_payments(make_workspace, stripe_api):
    fixture = make_workspace()
    add_member(fixture.workspace, "member")
    member = sign_in_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")

    page = member.get("/settings/payments/")
    connect = member.post("/settings/payments/connect/")

    assert page.status_code == 403 and connect.status_code == 403
    assert not stripe_api.calls("POST", "/v1/accounts")


def test_stripe_down_while_connecting_is_a_clear_503_and_stores_nothing(make_workspace, stripe_api):
    fixture = make_workspace()
    stripe_api.fail_next = [500, 500, 500]

    response = fixture.signed_in_client().post("/settings/payments/connect/")

    assert response.status_code == 503
    assert "Stripe did not answer" in response.content.decode()
    assert not ConnectAccount.objects.filter(workspace=fixture.workspace).exists()


def test_another_workspaces_session_does_not_open_this_payments_page(two_workspaces):
    alpha, beta = two_workspaces

    response = beta.signed_in_client().get(
        "/settings/payments/", HTTP_HOST=alpha.workspace.primary_host
    )

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_account_updated_for_an_unknown_account_changes_nothing(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    connect_stripe(fixture.signed_in_client(), stripe_api, finish=False)
    stranger = stripe_api.event(
        "account.updated",
        {"id": "acct_stranger", "object": "account", "charges_enabled": True},
        account="acct_stranger",
    )

    response = post_connect_event(apex_client, stranger)

    assert response.status_code == 200
    assert StripeEvent.objects.get(event_id=stranger["id"]).outcome == "unknown_account"
    assert not ConnectAccount.objects.filter(charges_enabled=True).exists()
