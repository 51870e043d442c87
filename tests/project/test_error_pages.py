"""Friendly error pages in every profile: a mistyped address, a refusal, too many requests,
a server error and a suspended workspace, each saying what happened and what to do next.
Development keeps its traceback for real errors only."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tenants.services.workspaces import set_workspace_status
from tests.support.pages import page_text

PROFILES = [pytest.param(False, id="test"), pytest.param(True, id="dev-debug")]


@pytest.mark.parametrize("debug", PROFILES)
def test_a_mistyped_address_is_the_friendly_404_page(two_workspaces, debug):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    with override_settings(DEBUG=debug):
        mistyped = client.get("/leeds/")
        missing_logo = client.get("/workspace-logo/0123456789abcdef/")
        signed_out = alpha.client().get("/no/such/page/")

    for response in (mistyped, missing_logo, signed_out):
        assert response.status_code == 404
        text = page_text(response)
        assert "Page not found" in text and "Check the link" in text
        assert "URLconf" not in text and "Django" not in text
    assert "Go to the dashboard" in page_text(mistyped)


@pytest.mark.parametrize("debug", PROFILES)
def test_the_slash_is_still_added_and_the_api_still_answers_json(two_workspaces, debug):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    with override_settings(DEBUG=debug):
        no_slash = client.get("/team")
        api = client.get("/api/v1/no-such-resource")

    assert no_slash.status_code == 301 and no_slash["Location"] == "/team/"
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("debug", PROFILES)
def test_a_refusal_is_the_friendly_403_page(two_workspaces, debug):
    alpha, _ = two_workspaces
    from tests.support.clients import add_member, sign_in_client

    member = sign_in_client(alpha.workspace, add_member(alpha.workspace, "member").email)

    with override_settings(DEBUG=debug):
        response = member.get("/settings/")

    assert response.status_code == 403
    assert "Not allowed" in page_text(response)


@override_settings(ROOT_URLCONF="tests.project.error_urls")
@pytest.mark.parametrize("debug", PROFILES)
def test_django_ratelimit_refusals_are_the_429_page_and_json_for_the_api(two_workspaces, debug):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    with override_settings(DEBUG=debug):
        page = client.get("/limited/")
        api = client.get("/api/v1/limited/")

    assert page.status_code == 429 and page["Retry-After"] == "60"
    assert "Too many requests" in page_text(page) and "Wait a minute" in page_text(page)
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"


@override_settings(ROOT_URLCONF="tests.project.error_urls")
def test_a_server_error_is_the_friendly_500_page_and_a_traceback_in_dev(two_workspaces):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()
    client.raise_request_exception = False

    friendly = client.get("/boom/")
    with override_settings(DEBUG=True):
        traceback = client.get("/boom/")

    assert friendly.status_code == 500
    assert "Something went wrong" in page_text(friendly)
    assert "a bug" not in page_text(friendly)
    assert traceback.status_code == 500 and "RuntimeError" in traceback.content.decode()


@pytest.mark.parametrize("debug", PROFILES)
def test_a_suspended_workspace_says_so_and_what_to_do(two_workspaces, debug):
    alpha, _ = two_workspaces
    set_workspace_status(workspace=alpha.workspace, status="suspended")

    with override_settings(DEBUG=debug):
        response = Client(HTTP_HOST=alpha.host).get("/leads/")

    assert response.status_code == 403
    text = page_text(response)
    assert "This workspace is suspended" in text
    assert "Its data is kept safe" in text and "Go to the home page" in text


def test_an_unknown_workspace_offers_to_find_yours(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/")

    assert response.status_code == 404
    assert "Workspace not found" in page_text(response)
    assert "Find my workspace" in page_text(response)
