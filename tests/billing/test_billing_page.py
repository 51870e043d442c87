"""Settings -> Billing: the owner's page (plan, trial, usage, invoices), choosing a plan
(Stripe Checkout) and "Manage billing" (the portal); refused to everyone else, and to
another workspace's owner; Stripe down or bad input never half-changes anything."""

from __future__ import annotations

import re
import urllib.request

import pytest
from django.test import Client

from billing.models import BillingAccount, Plan
from tests.support.billing import account_of, customer_of, deliver, price_plan, subscribe
from tests.support.clients import add_member, sign_in_client
from tests.support.email import add_leads
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def nonce_on(page: str) -> str:
    match = re.search(r'name="nonce" value="([^"]+)"', page)
    assert match, "the page has no plan form"
    return match.group(1)


def test_the_owner_sees_plan_trial_usage_and_invoices(make_workspace, stripe_api):
    fixture = make_workspace("alpha", "Alpha Coaching")
    add_leads(fixture.workspace, 3)
    add_member(fixture.workspace, "member")
    stripe_api.put(
        "invoices",
        {
            "customer": customer_of(fixture.workspace),
            "status": "paid",
            "amount_due": 2900,
            "currency": "usd",
            "number": "INV-0007",
            "hosted_invoice_url": "https://invoice.example/7",
        },
    )

    response = fixture.signed_in_client().get("/settings/billing/")

    assert response.status_code == 200
    text = page_text(response)
    assert "Growth" in text and "Trial" in text and "Trial ends" in text
    assert "2 of 10" in text  # seats: owner and member
    assert "3 of 50,000" in text  # leads, from the stage tally
    assert "0 of 100,000" in text  # emails this month
    assert "INV-0007" in text and "$29" in text
    assert "https://invoice.example/7" in response.content.decode()
    assert "Starter" in text and "Scale" in text and "Monthly" in text and "Yearly" in text


def test_the_settings_index_links_billing_for_the_owner_only(make_workspace):
    fixture = make_workspace()
    admin = add_member(fixture.workspace, "admin")

    owner_index = fixture.signed_in_client().get("/settings/").content.decode()
    admin_index = sign_in_client(fixture.workspace, admin.email).get("/settings/").content.decode()

    assert 'href="/settings/billing/"' in owner_index
    assert 'href="/settings/billing/"' not in admin_index
    assert "The owner manages the plan" in admin_index


@pytest.mark.parametrize("role", ["admin", "member"])
def test_only_the_owner_may_open_billing(make_workspace, stripe_api, role):
    fixture = make_workspace()
    user = add_member(fixture.workspace, role)
    client = sign_in_client(fixture.workspace, user.email)

    page = client.get("/settings/billing/")
    checkout = client.post(
        "/settings/billing/checkout/", {"plan": "growth", "interval": "month", "nonce": "n" * 16}
    )
    portal = client.post("/settings/billing/portal/")

    assert [page.status_code, checkout.status_code, portal.status_code] == [403, 403, 403]
    assert "owner manages billing" in page_text(page)
    assert stripe_api.calls("POST", "/v1/") == []


def test_another_workspaces_owner_cannot_see_or_change_a_workspaces_billing(
    two_workspaces, stripe_api
):
    alpha, beta = two_workspaces
    price_plan(stripe_api, "growth")
    beta_client = beta.signed_in_client()
    # B's session cookie, sent to A's address, means nothing there.
    at_alpha = Client(HTTP_HOST=alpha.host)
    at_alpha.cookies.load({"sessionid": beta_client.cookies["sessionid"].value})

    page = at_alpha.get("/settings/billing/")
    checkout = at_alpha.post(
        "/settings/billing/checkout/", {"plan": "growth", "interval": "month", "nonce": "n" * 16}
    )

    assert page.status_code == 302 and page["Location"].startswith("/login/")
    assert checkout.status_code in {302, 403}
    assert "Alpha" not in page.content.decode()
    assert stripe_api.all("checkout/sessions") == []
    # And B's own page shows B's account only.
    own = page_text(beta_client.get("/settings/billing/"))
    assert "Beta Courses" in own and "Alpha Coaching" not in own


def test_choosing_a_plan_opens_stripe_checkout_for_the_workspace(make_workspace, stripe_api):
    fixture = make_workspace()
    price_plan(stripe_api, "starter")
    client = fixture.signed_in_client()
    nonce = nonce_on(client.get("/settings/billing/").content.decode())

    response = client.post(
        "/settings/billing/checkout/", {"plan": "starter", "interval": "year", "nonce": nonce}
    )
    again = client.post(  # a double click: the same nonce, the same session
        "/settings/billing/checkout/", {"plan": "starter", "interval": "year", "nonce": nonce}
    )

    assert response.status_code == 303
    sessions = stripe_api.all("checkout/sessions")
    assert len(sessions) == 1 and again["Location"] == response["Location"]
    session = sessions[0]
    assert response["Location"] == session["url"]
    assert session["mode"] == "subscription"
    assert session["customer"] == account_of(fixture.workspace).stripe_customer_id
    assert session["line_items"] == [{"price": "price_starter_year", "quantity": "1"}]
    assert session["client_reference_id"] == str(fixture.workspace.pk)
    assert session["metadata"]["workspace_id"] == str(fixture.workspace.pk)
    assert session["success_url"].startswith(f"{fixture.workspace.url}/settings/billing/")
    assert session["cancel_url"] == f"{fixture.workspace.url}/settings/billing/?checkout=cancelled"
    # Subscribing during the trial keeps its days: the first charge is when it ends.
    trial_end = int(account_of(fixture.workspace).trial_ends_at.timestamp())
    assert session["subscription_data"]["trial_end"] == str(trial_end)
    key = stripe_api.calls("POST", "/v1/checkout/sessions")[0]["idempotency_key"]
    assert key == f"crm:checkout:{fixture.workspace.pk}:price_starter_year:{nonce}"


@pytest.mark.parametrize(
    ("form", "status", "code_text"),
    [
        ({"plan": "platinum", "interval": "month"}, 422, "Choose one of the plans shown"),
        ({"plan": "growth", "interval": "weekly"}, 422, "Choose monthly or yearly"),
        ({"plan": "free", "interval": "month"}, 409, "cannot be bought online"),
        ({"plan": "scale", "interval": "month"}, 409, "cannot be bought online"),  # no price id
    ],
)
def test_a_bad_plan_choice_is_refused_and_asks_stripe_for_nothing(
    make_workspace, stripe_api, form, status, code_text
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    response = fixture.signed_in_client().post(
        "/settings/billing/checkout/", {**form, "nonce": "abcdefgh12345678"}
    )

    assert response.status_code == status
    assert code_text in response.content.decode()
    assert stripe_api.calls("POST", "/v1/") == []


def test_a_missing_nonce_is_refused(make_workspace, stripe_api):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")

    response = fixture.signed_in_client().post(
        "/settings/billing/checkout/", {"plan": "growth", "interval": "month", "nonce": "<x>"}
    )

    assert response.status_code == 422
    assert "Reload the page" in response.content.decode()


@pytest.mark.parametrize("failure", [500, "slow"])
def test_stripe_down_at_checkout_is_a_503_page_and_nothing_changes(
    make_workspace, stripe_api, failure
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    client = fixture.signed_in_client()
    stripe_api.fail_next = [failure] * 3  # every try of the client's own retries

    response = client.post(
        "/settings/billing/checkout/",
        {"plan": "growth", "interval": "month", "nonce": "abcdefgh12345678"},
    )

    assert response.status_code == 503
    assert "Stripe did not answer just now; nothing was changed" in response.content.decode()
    assert account_of(fixture.workspace).stripe_customer_id is None
    assert stripe_api.all("checkout/sessions") == []


def test_stripe_down_at_the_portal_is_a_503_page(make_workspace, stripe_api):
    fixture = make_workspace()
    customer_of(fixture.workspace)
    stripe_api.fail_next = ["slow"] * 3

    response = fixture.signed_in_client().post("/settings/billing/portal/")

    assert response.status_code == 503
    assert "Stripe did not answer just now" in response.content.decode()
    assert "Location" not in response


def test_stripe_down_still_renders_the_page_without_invoices(make_workspace, stripe_api):
    fixture = make_workspace()
    customer_of(fixture.workspace)
    client = fixture.signed_in_client()
    stripe_api.fail_next = [503] * 3

    response = client.get("/settings/billing/")

    assert response.status_code == 200
    assert "Invoices could not be loaded" in page_text(response)
    assert "Growth" in page_text(response)


def test_manage_billing_opens_the_stripe_portal(make_workspace, stripe_api):
    fixture = make_workspace()

    response = fixture.signed_in_client().post("/settings/billing/portal/")

    assert response.status_code == 303
    portal = stripe_api.all("billing_portal/sessions")
    assert len(portal) == 1 and response["Location"] == portal[0]["url"]
    assert portal[0]["customer"] == account_of(fixture.workspace).stripe_customer_id
    assert portal[0]["return_url"] == f"{fixture.workspace.url}/settings/billing/"
    with urllib.request.urlopen(portal[0]["url"], timeout=5) as hosted:
        assert "Billing portal for" in hosted.read().decode()


def test_a_subscribed_workspace_changes_plan_in_the_portal_not_a_second_checkout(
    make_workspace, stripe_api, apex_client
):
    fixture = make_workspace()
    price_plan(stripe_api, "growth")
    price_plan(stripe_api, "scale")
    subscription = subscribe(stripe_api, fixture.workspace, "growth")
    deliver(apex_client, stripe_api.event("customer.subscription.created", subscription))
    client = fixture.signed_in_client()

    page = page_text(client.get("/settings/billing/"))
    response = client.post(
        "/settings/billing/checkout/",
        {"plan": "scale", "interval": "month", "nonce": "abcdefgh12345678"},
    )

    assert "Active" in page and "Renews on" in page and "$79 a month" in page
    assert response.status_code == 409
    assert "Manage billing" in response.content.decode()
    assert stripe_api.all("checkout/sessions") == []
    assert BillingAccount.objects.get(workspace=fixture.workspace).plan.slug == "growth"


def test_the_billing_page_lets_its_forms_go_on_to_stripes_hosted_pages(make_workspace):
    fixture = make_workspace()

    response = fixture.signed_in_client().get("/settings/billing/")
    form_action = next(
        part
        for part in response["Content-Security-Policy"].split(";")
        if part.strip().startswith("form-action")
    )

    assert "https://checkout.stripe.com" in form_action
    assert "https://billing.stripe.com" in form_action
    assert "script-src 'self'" in response["Content-Security-Policy"]  # the rest is unchanged


def test_without_a_stripe_key_the_page_renders_and_choosing_a_plan_says_what_is_missing(
    make_workspace, settings
):
    """`make run` on a new machine has no Stripe key and no price ids: the page still works,
    and a purchase is refused with what is missing, never an error page of ours."""
    settings.STRIPE_SECRET_KEY = ""
    fixture = make_workspace()
    client = fixture.signed_in_client()
    choose = {"plan": "growth", "interval": "month"}

    page = client.get("/settings/billing/")
    no_price = client.post("/settings/billing/checkout/", {**choose, "nonce": "a" * 16})
    Plan.objects.filter(slug="growth").update(stripe_monthly_price_id="price_growth_month")
    no_key = client.post("/settings/billing/checkout/", {**choose, "nonce": "b" * 16})

    assert page.status_code == 200 and "Growth" in page_text(page)
    assert no_price.status_code == 409
    assert "cannot be bought online yet" in page_text(no_price)
    assert no_key.status_code == 503
    assert "Ask the platform owner to set STRIPE_SECRET_KEY" in page_text(no_key)
    assert account_of(fixture.workspace).stripe_customer_id is None
