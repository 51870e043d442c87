"""'Find my workspace' on the apex: one email with the links of every active workspace
where the address has an active account, the same page whether or not it has any, rate
limited per IP and per address, read from the public member directory in one query."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.team import deactivate_member
from mail.models import OutboxEmail
from tenants.selectors.member_directory import workspaces_with_active_account
from tenants.services.console import suspend_workspace
from tests.support.clients import add_member
from tests.support.console import make_staff_user
from tests.support.pages import page_text
from tests.support.query_counter import queries_run

SHARED = "sam@shared.example"


def public_outbox() -> list[OutboxEmail]:
    with schema_context("public"):
        return list(OutboxEmail.objects.order_by("created_at", "pk"))


def deactivate(fixture, email: str) -> None:
    with schema_context(fixture.workspace.schema_name):
        owner = User.objects.get(role=User.Role.OWNER)
        member = User.objects.get(email=email)
        deactivate_member(actor=owner, member_id=member.pk)


@pytest.fixture
def three_workspaces(make_workspace):
    """The same address in three workspaces: active in two, deactivated in the third."""
    alpha, beta, gamma = (
        make_workspace("alpha", "Alpha Coaching"),
        make_workspace("beta", "Beta Courses"),
        make_workspace("gamma", "Gamma Studio"),
    )
    add_member(alpha.workspace, User.Role.MEMBER, SHARED)
    add_member(beta.workspace, User.Role.ADMIN, SHARED.upper())
    add_member(gamma.workspace, User.Role.MEMBER, SHARED)
    deactivate(gamma, SHARED)
    return alpha, beta, gamma


def test_the_email_lists_exactly_the_workspaces_with_an_active_account(
    apex_client, three_workspaces
) -> None:
    _alpha, _beta, _gamma = three_workspaces

    response = apex_client.post("/find-workspace/", {"email": "Sam@Shared.example"})

    [email] = public_outbox()
    assert response.status_code == 200
    assert email.to == "Sam@Shared.example"
    assert "Alpha Coaching: http://alpha.localhost:8000/login/" in email.text_body
    assert "Beta Courses: http://beta.localhost:8000/login/" in email.text_body
    assert "gamma" not in email.text_body.lower()
    assert 'href="http://alpha.localhost:8000/login/"' in email.html_body


def test_the_page_says_the_same_for_a_known_and_an_unknown_address(
    apex_client, three_workspaces
) -> None:
    known = apex_client.post("/find-workspace/", {"email": SHARED})
    unknown = apex_client.post("/find-workspace/", {"email": "nobody@shared.example"})

    assert known.status_code == unknown.status_code == 200
    assert page_text(known).replace(SHARED, "X") == page_text(unknown).replace(
        "nobody@shared.example", "X"
    )
    assert "Check your email" in page_text(known)
    # One email each: the unknown address is told there is none and how to sign up.
    first, second = public_outbox()
    assert first.to == SHARED and "Alpha Coaching" in first.text_body
    assert second.to == "nobody@shared.example"
    assert "no active account with this address" in second.text_body
    assert "http://localhost:8000/signup/" in second.text_body


def test_a_suspended_workspace_is_left_out(apex_client, three_workspaces) -> None:
    _alpha, beta, _ = three_workspaces
    suspend_workspace(staff_user=make_staff_user(), workspace=beta.workspace, ip=None)

    apex_client.post("/find-workspace/", {"email": SHARED})

    [email] = public_outbox()
    assert "Alpha Coaching" in email.text_body
    assert "Beta Courses" not in email.text_body


def test_the_email_goes_through_postmark_when_a_token_is_set(
    apex_client, three_workspaces, postmark
) -> None:
    apex_client.post("/find-workspace/", {"email": SHARED})

    [sent] = postmark.received
    assert sent["To"] == SHARED
    assert sent["MessageStream"] == "outbound"
    assert "Alpha Coaching" in sent["TextBody"] and "Beta Courses" in sent["TextBody"]
    assert public_outbox() == []


def test_an_invalid_address_gets_the_form_back_and_sends_nothing(apex_client, db) -> None:
    response = apex_client.post("/find-workspace/", {"email": "sam at shared"})

    assert response.status_code == 422
    assert "Enter a valid email address" in page_text(response)
    assert 'class="field has-error"' in response.text
    assert public_outbox() == []


@override_settings(CRM_FIND_WORKSPACE_RATE_EMAIL="2/h", CRM_FIND_WORKSPACE_RATE_IP="100/h")
def test_it_is_rate_limited_per_address_in_any_case(apex_client, db) -> None:
    for email in (SHARED, SHARED.upper()):
        assert apex_client.post("/find-workspace/", {"email": email}).status_code == 200

    refused = apex_client.post("/find-workspace/", {"email": f" {SHARED} "})
    other = apex_client.post("/find-workspace/", {"email": "other@shared.example"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert other.status_code == 200
    assert len(public_outbox()) == 3


@override_settings(CRM_FIND_WORKSPACE_RATE_IP="2/h")
def test_it_is_rate_limited_per_ip(apex_client, db) -> None:
    for n in range(2):
        apex_client.post("/find-workspace/", {"email": f"p{n}@example.com"})

    refused = apex_client.post("/find-workspace/", {"email": "p9@example.com"})
    elsewhere = apex_client.post(
        "/find-workspace/", {"email": "p9@example.com"}, REMOTE_ADDR="203.0.113.9"
    )

    assert refused.status_code == 429
    assert "Too many requests" in page_text(refused)
    assert elsewhere.status_code == 200
    assert len(public_outbox()) == 3


def test_the_lookup_is_one_query(three_workspaces) -> None:
    with queries_run() as queries:
        found = workspaces_with_active_account(email=SHARED)

    # Switching the search path back to public is not a query of the lookup.
    [lookup] = [sql for sql in queries if not sql.startswith("SET search_path")]
    assert [w.slug for w in found] == ["alpha", "beta"]
    assert "email_hash" in lookup


def test_the_apex_page_has_a_labelled_field(apex_client, db) -> None:
    response = apex_client.get("/find-workspace/")

    assert response.status_code == 200
    assert '<label for="id_email">Your email</label>' in response.text
