"""The sending identity at /settings/sending/: the From name and address, the workspace's own
domain registered through Postmark's account API (the loopback double), its DNS records and
their verification, and the From and Reply-To headers Postmark receives before and after.
With bad input, Postmark refusing or down, a member, and another workspace's session."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import EventLog
from outreach.delivery.sender import deliver
from outreach.models import EmailSettings, SendingDomain
from tests.support.clients import add_member, outbox_of, post, sign_in_client
from tests.support.email import ready_campaign, run_jobs
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.pages import page_text as tagless_text


def page_text(response) -> str:
    """The page as read, its entities too (the From line is "Name <address>")."""
    return html.unescape(tagless_text(response))


@pytest.fixture
def account(postmark: FakePostmark) -> Iterator[FakePostmark]:
    """The Postmark double with this installation's account token set too."""
    with override_settings(POSTMARK_ACCOUNT_TOKEN=postmark.account_token):
        yield postmark


def domain_row(workspace) -> SendingDomain | None:
    with schema_context(workspace.schema_name):
        return SendingDomain.objects.filter(pk=1).first()


def register(client, domain: str = "alphastudio.com"):
    return client.post("/settings/sending/domain/", {"domain": domain})


def set_sender(client, name: str = "Alpha Studio", address: str = "hello@alphastudio.com"):
    return client.post("/settings/sending/", {"from_name": name, "from_email": address})


# --- The page, the From name and address ------------------------------------------------------


def test_the_page_shows_how_email_goes_out_now(make_workspace, account) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")

    page = fixture.signed_in_client().get("/settings/sending/")

    text = page_text(page)
    assert page.status_code == 200
    assert "Alpha Coaching <no-reply@localhost>" in text
    assert "From our address, with your name" in text
    assert "Register the domain" in text


def test_saving_the_sender_sets_the_name_and_replies_to_the_address(
    make_workspace, account
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client = fixture.signed_in_client()

    saved = set_sender(client)
    page = page_text(client.get("/settings/sending/"))

    assert saved.status_code == 302
    assert "Alpha Studio <no-reply@localhost>" in page
    assert "Reply-To hello@alphastudio.com" in page
    with schema_context(fixture.workspace.schema_name):
        row = EmailSettings.objects.get()
        assert (row.from_name, row.from_email) == ("Alpha Studio", "hello@alphastudio.com")


def test_an_invalid_from_address_is_refused_next_to_its_field(make_workspace, account) -> None:
    fixture = make_workspace()

    page = set_sender(fixture.signed_in_client(), address="not an address")

    assert page.status_code == 422
    assert 'class="field has-error"' in page.content.decode()
    assert "Enter a valid email address." in page_text(page)
    with schema_context(fixture.workspace.schema_name):
        assert not EmailSettings.objects.filter(from_email__gt="").exists()


# --- Registering and verifying the domain -----------------------------------------------------


def test_registering_shows_the_dkim_and_return_path_records(make_workspace, account) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    registered = register(client, "  AlphaStudio.com. ")
    page = client.get("/settings/sending/")

    at_postmark = account.domain_named("alphastudio.com")
    assert registered.status_code == 302
    assert at_postmark is not None
    assert at_postmark["ReturnPathDomain"] == "pm-bounces.alphastudio.com"
    row = domain_row(fixture.workspace)
    assert row is not None and row.postmark_id == at_postmark["ID"]
    text, markup = page_text(page), page.content.decode()
    assert at_postmark["DKIMPendingHost"] in text
    assert at_postmark["DKIMPendingTextValue"] in text
    assert "pm-bounces.alphastudio.com" in text and "pm.mtasv.net" in text
    assert f'data-copy="{at_postmark["DKIMPendingTextValue"]}"' in markup
    assert "Waiting for DNS" in text
    assert ("POST", "/domains") in account.account_calls


def test_verify_before_the_records_exist_says_so(make_workspace, account) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    register(client)

    verified = client.post("/settings/sending/domain/verify/", follow=True)

    text = page_text(verified)
    assert "did not find the DKIM record of alphastudio.com yet" in text
    assert "Waiting for DNS" in text
    row = domain_row(fixture.workspace)
    assert row is not None and not row.dkim_verified and row.checked_at is not None
    at_postmark = account.domain_named("alphastudio.com")
    assert at_postmark is not None
    domain_id = at_postmark["ID"]
    assert ("PUT", f"/domains/{domain_id}/verifyDkim") in account.account_calls
    assert ("PUT", f"/domains/{domain_id}/verifyReturnPath") in account.account_calls


def test_verify_once_the_records_exist_switches_the_from_address(make_workspace, account) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    set_sender(client)
    register(client)
    account.publish_dns("alphastudio.com")

    verified = client.post("/settings/sending/domain/verify/", follow=True)

    text = page_text(verified)
    assert "alphastudio.com is verified. Email now goes from hello@alphastudio.com." in text
    assert "Alpha Studio <hello@alphastudio.com>" in text
    assert "From your own domain" in text
    row = domain_row(fixture.workspace)
    assert row is not None and row.dkim_verified and row.return_path_verified
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(object_type="sendingdomain", verb="checked").exists()


@pytest.mark.parametrize(
    "domain, message",
    [
        ("not a domain", "is not a domain name"),
        ("localhost", "is not a domain name"),
        ("-bad-.com", "is not a domain name"),
        ("", "Enter your domain"),
        ("alpha.localhost", "this platform's own domain"),
    ],
)
def test_an_invalid_domain_is_refused_before_postmark_is_asked(
    make_workspace, account, domain, message
) -> None:
    fixture = make_workspace()

    page = register(fixture.signed_in_client(), domain)

    assert page.status_code == 422
    assert message in page_text(page)
    assert 'class="field has-error"' in page.content.decode()
    assert account.account_calls == []
    assert domain_row(fixture.workspace) is None


def test_a_domain_postmark_refuses_is_explained_and_nothing_is_saved(
    make_workspace, account
) -> None:
    fixture = make_workspace()

    page = register(fixture.signed_in_client(), "gmail.com")

    assert page.status_code == 422
    assert "Postmark did not accept gmail.com: You cannot use a public domain." in page_text(page)
    assert domain_row(fixture.workspace) is None


@pytest.mark.parametrize("failure", [503, 429, "slow"])
def test_postmark_down_is_a_clear_message_and_nothing_is_saved(
    make_workspace, account, failure
) -> None:
    fixture = make_workspace()
    account.slow_seconds = 1.5  # past the 1 s timeout of the tests
    account.fail_next = [failure]

    page = register(fixture.signed_in_client())

    assert page.status_code == 502
    assert "Postmark did not answer, so alphastudio.com is not registered" in page_text(page)
    assert domain_row(fixture.workspace) is None


def test_postmark_down_during_verify_keeps_the_last_result(make_workspace, account) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    register(client)
    account.fail_next = [500]

    page = client.post("/settings/sending/domain/verify/")

    assert page.status_code == 502
    assert "Postmark did not answer, so nothing changed" in page_text(page)
    row = domain_row(fixture.workspace)
    assert row is not None and row.checked_at is None


def test_removing_the_domain_forgets_it_here_and_at_postmark(make_workspace, account) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    register(client)

    removed = client.post("/settings/sending/domain/remove/", follow=True)

    assert "alphastudio.com is removed" in page_text(removed)
    assert account.domains == {}
    assert domain_row(fixture.workspace) is None
    assert register(client).status_code == 302  # and it can be registered again


def test_without_an_account_token_the_page_says_so(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    page = client.get("/settings/sending/")
    refused = register(client)

    assert "no Postmark account token" in page_text(page)
    assert refused.status_code == 503
    assert "cannot be set up on this installation yet" in page_text(refused)
    assert postmark.account_calls == []


def test_a_bad_account_token_is_a_clear_refusal(make_workspace, postmark) -> None:
    fixture = make_workspace()

    with override_settings(POSTMARK_ACCOUNT_TOKEN="wrong-token"):
        page = register(fixture.signed_in_client())

    assert page.status_code == 422
    assert "Postmark did not accept alphastudio.com: Bad or missing API token." in page_text(page)
    assert domain_row(fixture.workspace) is None


# --- The headers Postmark receives --------------------------------------------------------------


def sent_headers(double: FakePostmark) -> list[tuple[str, str | None]]:
    return [(message["From"], message.get("ReplyTo")) for message in double.received]


def test_until_verified_mail_goes_from_the_platform_with_the_workspace_as_reply_to(
    make_workspace, account
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client = fixture.signed_in_client()
    set_sender(client)
    register(client)
    owner_api, campaign = ready_campaign(fixture, leads=2)

    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])
    client.post(f"/campaigns/{campaign['id']}/test/")
    lead_id = owner_api.get("/api/v1/leads").json()["items"][0]["id"]
    post(owner_api, f"/api/v1/leads/{lead_id}/email", {"subject": "Hi", "body": "Hello"})
    with schema_context(fixture.workspace.schema_name):
        deliver(campaign_id=None)

    assert len(account.received) == 4  # two campaign emails, the test, the one-off
    assert set(sent_headers(account)) == {
        ("Alpha Studio <no-reply@localhost>", "hello@alphastudio.com")
    }


def test_once_verified_mail_goes_from_the_workspaces_address(make_workspace, account) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client = fixture.signed_in_client()
    set_sender(client)
    register(client)
    account.publish_dns("alphastudio.com")
    client.post("/settings/sending/domain/verify/")
    owner_api, campaign = ready_campaign(fixture, leads=2)

    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])
    client.post(f"/campaigns/{campaign['id']}/test/")
    lead_id = owner_api.get("/api/v1/leads").json()["items"][0]["id"]
    post(owner_api, f"/api/v1/leads/{lead_id}/email", {"subject": "Hi", "body": "Hello"})
    with schema_context(fixture.workspace.schema_name):
        deliver(campaign_id=None)

    assert len(account.received) == 4
    assert set(sent_headers(account)) == {("Alpha Studio <hello@alphastudio.com>", None)}


def test_a_from_address_off_the_verified_domain_still_goes_from_the_platform(
    make_workspace, account
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    client = fixture.signed_in_client()
    register(client)
    account.publish_dns("alphastudio.com")
    client.post("/settings/sending/domain/verify/")
    set_sender(client, address="me@elsewhere.example")
    owner_api, campaign = ready_campaign(fixture, leads=1)

    page = page_text(client.get("/settings/sending/"))
    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    assert "me@elsewhere.example is not on alphastudio.com" in page
    assert sent_headers(account) == [("Alpha Studio <no-reply@localhost>", "me@elsewhere.example")]


def test_without_a_sender_the_workspace_name_and_no_reply_to(make_workspace, postmark) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    owner_api, campaign = ready_campaign(fixture, leads=1)

    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    assert sent_headers(postmark) == [("Alpha Coaching <no-reply@localhost>", None)]


# --- Who may, and which workspace ---------------------------------------------------------------


def test_a_member_is_refused_every_part(make_workspace, account) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = sign_in_client(fixture.workspace, member.email)

    answers = [
        client.get("/settings/sending/"),
        set_sender(client),
        register(client),
        client.post("/settings/sending/domain/verify/"),
        client.post("/settings/sending/domain/remove/"),
    ]

    assert [answer.status_code for answer in answers] == [403] * 5
    assert account.account_calls == []
    assert domain_row(fixture.workspace) is None


def test_another_workspace_neither_sees_nor_verifies_the_domain(two_workspaces, account) -> None:
    alpha, beta = two_workspaces
    alpha_client = alpha.signed_in_client()
    register(alpha_client)
    alpha_domain = account.domain_named("alphastudio.com")
    assert alpha_domain is not None
    beta_client = beta.signed_in_client()
    calls_before = list(account.account_calls)

    page = beta_client.get("/settings/sending/")
    verify = beta_client.post("/settings/sending/domain/verify/")
    remove = beta_client.post("/settings/sending/domain/remove/")

    for answer in (page, verify, remove):
        body = answer.content.decode()
        assert "alphastudio.com" not in body
        assert alpha_domain["DKIMPendingTextValue"] not in body
    assert page.status_code == 200
    assert verify.status_code == remove.status_code == 404
    assert "No sending domain is registered" in page_text(verify)
    assert account.account_calls == calls_before  # nothing asked about alpha's domain
    assert domain_row(beta.workspace) is None
    assert domain_row(alpha.workspace) is not None


def test_another_workspace_cannot_take_a_registered_domain(two_workspaces, account) -> None:
    alpha, beta = two_workspaces
    register(alpha.signed_in_client())

    page = register(beta.signed_in_client())

    assert page.status_code == 422
    assert "This domain already exists." in page_text(page)
    assert domain_row(beta.workspace) is None
    alpha_row = domain_row(alpha.workspace)
    assert alpha_row is not None and alpha_row.name == "alphastudio.com"


def test_without_a_server_token_the_outbox_email_carries_the_identity(make_workspace) -> None:
    """With only the account token, the domain registers, and mail goes to the development
    outbox exactly as Postmark would have been sent it."""
    fixture = make_workspace("alpha", "Alpha Coaching")
    with (
        fake_postmark() as double,
        override_settings(POSTMARK_API_URL=double.url, POSTMARK_ACCOUNT_TOKEN=double.account_token),
    ):
        client = fixture.signed_in_client()
        set_sender(client)
        assert register(client).status_code == 302
    owner_api, campaign = ready_campaign(fixture, leads=1)
    post(owner_api, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    [email] = outbox_of(fixture.workspace)
    assert email.from_email == "Alpha Studio <no-reply@localhost>"
    assert email.reply_to == "hello@alphastudio.com"
