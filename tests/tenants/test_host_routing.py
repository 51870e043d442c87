"""A request's host picks the workspace; unknown and suspended ones answer clearly."""

from __future__ import annotations

from django.test import Client

from tenants.models import Domain
from tenants.services.workspaces import set_workspace_status
from tests.support.query_counter import queries_run


def test_two_workspaces_answer_the_same_path_with_their_own_data(two_workspaces) -> None:
    alpha, beta = two_workspaces

    alpha_home = alpha.signed_in_client().get("/")
    beta_home = beta.signed_in_client().get("/")

    assert alpha_home.status_code == 200
    assert "Welcome to Alpha Coaching" in alpha_home.text
    assert alpha.owner_email in alpha_home.text
    assert "Beta" not in alpha_home.text
    assert "Welcome to Beta Courses" in beta_home.text
    assert alpha.owner_email not in beta_home.text


def test_api_answers_with_the_workspace_of_the_host(two_workspaces) -> None:
    alpha, beta = two_workspaces

    assert alpha.client().get("/api/v1/workspace").json()["slug"] == "alpha"
    assert beta.client().get("/api/v1/workspace").json()["slug"] == "beta"


def test_session_cookie_of_one_workspace_means_nothing_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_client = alpha.signed_in_client()
    stolen = Client(HTTP_HOST=beta.host)
    stolen.cookies = alpha_client.cookies

    response = stolen.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_owner_of_one_workspace_cannot_sign_in_to_another(two_workspaces) -> None:
    alpha, beta = two_workspaces

    response = beta.client().post(
        "/login/", {"email": alpha.owner_email, "password": alpha.owner_password}
    )

    assert response.status_code == 200
    assert "do not match an account in this workspace" in response.text


def test_signed_out_visitor_is_sent_to_login(make_workspace) -> None:
    response = make_workspace().client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_unknown_subdomain_gets_a_friendly_page(db) -> None:
    response = Client(HTTP_HOST="nobody.localhost").get("/", HTTP_ACCEPT="text/html")

    assert response.status_code == 404
    assert "Workspace not found" in response.text
    assert "There is no workspace at nobody.localhost" in response.text


def test_unknown_subdomain_api_gets_the_error_shape(db) -> None:
    response = Client(HTTP_HOST="nobody.localhost").get("/api/v1/workspace")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "workspace_not_found"
    assert response.json()["error"]["details"] == []


def test_host_outside_the_base_domain_is_refused(db) -> None:
    response = Client(HTTP_HOST="evil.example.com").get("/api/v1/workspace")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "host_not_allowed"


def test_suspended_workspace_answers_403_until_reactivated(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.client()
    assert client.get("/api/v1/workspace").status_code == 200  # warms the host cache

    set_workspace_status(workspace=fixture.workspace, status="suspended")
    api = client.get("/api/v1/workspace")
    page = client.get("/login/", HTTP_ACCEPT="text/html")
    set_workspace_status(workspace=fixture.workspace, status="active")

    assert api.status_code == 403
    assert api.json()["error"]["code"] == "workspace_suspended"
    assert page.status_code == 403
    assert "Workspace suspended" in page.text
    assert client.get("/api/v1/workspace").status_code == 200


def test_warm_host_resolution_costs_no_query(make_workspace) -> None:
    client = make_workspace().client()
    with queries_run() as cold:
        client.get("/api/v1/workspace")

    with queries_run() as warm:
        response = client.get("/api/v1/workspace")

    assert response.status_code == 200
    assert any("tenants_domain" in sql for sql in cold)  # the counter does see requests
    assert warm == []


def test_adding_and_removing_a_domain_takes_effect_at_once(make_workspace) -> None:
    fixture = make_workspace()
    alias = Client(HTTP_HOST="alias.localhost")
    assert alias.get("/api/v1/workspace").status_code == 404  # cached as unknown

    domain = Domain.objects.create(domain="alias.localhost", tenant=fixture.workspace)
    found = alias.get("/api/v1/workspace")
    domain.delete()
    gone = alias.get("/api/v1/workspace")

    assert found.status_code == 200
    assert found.json()["slug"] == fixture.workspace.slug
    assert gone.status_code == 404


def test_apex_serves_the_public_site_and_platform_api(apex_client) -> None:
    assert apex_client.get("/").status_code == 200
    assert apex_client.get("/api/openapi.json").json()["info"]["title"] == "CRM platform API"
    assert apex_client.get("/api/v1/workspace").status_code == 404


def test_unknown_api_route_in_a_workspace_is_json_404(make_workspace) -> None:
    response = make_workspace().client().get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_tenant_openapi_and_docs_are_served(make_workspace) -> None:
    client = make_workspace().client()

    assert client.get("/api/v1/openapi.json").json()["info"]["version"] == "v1"
    assert client.get("/api/v1/docs").status_code == 200


def test_wrong_method_on_an_api_route_is_405_in_the_error_shape(make_workspace) -> None:
    response = make_workspace().client().put("/api/v1/workspace")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_signed_in_staff_can_open_the_public_pages(apex_client) -> None:
    from accounts.services.users import create_user

    create_user(email="staff@platform.example", password="a staff passphrase 1", is_staff=True)
    apex_client.post(
        "/console/login/", {"email": "staff@platform.example", "password": "a staff passphrase 1"}
    )

    for path in ("/", "/signup/", "/console/"):
        response = apex_client.get(path)
        assert response.status_code == 200, path
        assert "Sign out" in response.text
