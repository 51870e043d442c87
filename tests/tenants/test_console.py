"""The platform console at /console/ on the apex: staff only, every action audited."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import AuditEvent, User
from accounts.services.users import create_user
from crm.models import Lead
from tenants.models import Workspace
from tenants.selectors.console import PER_PAGE
from tenants.services.provisioning import create_workspace
from tests.support.clients import OWNER_PASSWORD, add_member, sign_in_client
from tests.support.query_counter import queries_run

STAFF_EMAIL = "staff@platform.example"
STAFF_PASSWORD = "console staff passphrase 42"
GENERIC_REFUSAL = "That email and password do not match a staff account."


def public_audit(action: str) -> list[AuditEvent]:
    with schema_context("public"):
        return list(AuditEvent.objects.filter(action=action).order_by("at", "pk"))


def public_user(email: str) -> User | None:
    with schema_context("public"):
        return User.objects.filter(email__iexact=email).first()


def row_of(html: str, slug: str) -> str:
    """The table row of one workspace on the console's list."""
    match = re.search(rf'<tr id="workspace-{re.escape(slug)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {slug}"
    return match.group(1)


def cells(row: str) -> list[str]:
    """The visible text of each cell of a table row."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


@pytest.fixture
def staff_user(db: None) -> User:
    with schema_context("public"):
        return create_user(
            email=STAFF_EMAIL, password=STAFF_PASSWORD, full_name="Sam Staff", is_staff=True
        )


@pytest.fixture
def staff_client(apex_client: Client, staff_user: User) -> Client:
    response = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302, response.content
    return apex_client


# --- Signing in -----------------------------------------------------------------------------


def test_staff_signs_in_through_the_form_and_lands_on_the_console(apex_client, staff_user) -> None:
    form = apex_client.get("/console/login/")
    response = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL.upper(), "password": STAFF_PASSWORD}
    )
    console = apex_client.get("/console/")

    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in form.text
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert console.status_code == 200
    assert "Workspaces" in console.text
    assert "Sam Staff" in console.text
    assert [event.actor_id for event in public_audit("console_sign_in")] == [staff_user.pk]


def test_wrong_password_gets_the_generic_error_and_is_audited(apex_client, staff_user) -> None:
    response = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL, "password": "not the passphrase"}
    )

    assert response.status_code == 200
    assert GENERIC_REFUSAL in response.text
    assert apex_client.get("/console/").status_code == 302
    failures = public_audit("console_sign_in_failed")
    assert [(event.actor_email, event.ip) for event in failures] == [(STAFF_EMAIL, "127.0.0.1")]


def test_workspace_owner_credentials_are_refused_at_the_console(
    apex_client, make_workspace
) -> None:
    fixture = make_workspace()
    # The same email and password as a staff-less public account too: still not staff.
    with schema_context("public"):
        create_user(email=fixture.owner_email, password=fixture.owner_password)

    response = apex_client.post(
        "/console/login/",
        {"email": fixture.owner_email, "password": fixture.owner_password},
    )

    assert response.status_code == 200
    assert GENERIC_REFUSAL in response.text
    assert apex_client.get("/console/").status_code == 302
    assert [event.actor_email for event in public_audit("console_sign_in_failed")] == [
        fixture.owner_email
    ]


def test_owner_of_a_workspace_only_is_refused_with_the_same_message(
    apex_client, make_workspace
) -> None:
    fixture = make_workspace()

    response = apex_client.post(
        "/console/login/",
        {"email": fixture.owner_email, "password": fixture.owner_password},
    )

    assert GENERIC_REFUSAL in response.text
    assert apex_client.get("/console/").status_code == 302


def test_deactivated_staff_cannot_sign_in(apex_client, staff_user) -> None:
    with schema_context("public"):
        User.objects.filter(pk=staff_user.pk).update(is_active=False)

    response = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )

    assert GENERIC_REFUSAL in response.text


def test_five_failed_sign_ins_lock_a_staff_account_even_for_the_right_password(
    apex_client, staff_user, make_workspace
) -> None:
    fixture = make_workspace()
    add_member(fixture.workspace, "member", email=STAFF_EMAIL)  # the same email, elsewhere
    attempts = [
        apex_client.post("/console/login/", {"email": STAFF_EMAIL, "password": "guess"})
        for _ in range(5)
    ]

    right = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL.upper(), "password": STAFF_PASSWORD}
    )

    assert GENERIC_REFUSAL in attempts[3].text
    assert "locked for 15 minutes" in attempts[4].text
    assert right.status_code == 200
    assert "locked for 15 minutes" in right.text
    assert apex_client.get("/console/").status_code == 302
    assert len(public_audit("console_sign_in_failed")) == 5
    assert len(public_audit("console_sign_in_refused_locked")) == 1
    # The lock is the console's: the workspace account with this email still signs in.
    sign_in_client(fixture.workspace, STAFF_EMAIL)


def test_workspace_session_cookie_means_nothing_at_the_console(make_workspace) -> None:
    fixture = make_workspace()
    workspace_client = fixture.signed_in_client()
    apex = Client(HTTP_HOST="localhost")
    apex.cookies = workspace_client.cookies

    response = apex.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")


@override_settings(CRM_LOGIN_RATE_IP="2/m")
def test_sign_in_attempts_are_limited_per_ip(apex_client, staff_user) -> None:
    for _ in range(2):
        apex_client.post("/console/login/", {"email": STAFF_EMAIL, "password": "wrong one"})

    response = apex_client.post(
        "/console/login/", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Too many requests" in response.text
    assert apex_client.get("/console/").status_code == 302


def test_sign_out_ends_the_console_session(staff_client) -> None:
    response = staff_client.post("/console/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/console/login/"
    assert staff_client.get("/console/").status_code == 302
    assert len(public_audit("console_sign_out")) == 1


# --- Who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/console/", "/console/audit/", "/console/workspaces/new/", "/console/workspaces/1/"]
)
def test_anonymous_visitor_is_sent_to_sign_in(apex_client, path) -> None:
    response = apex_client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/?next=")


def test_anonymous_post_actions_are_403_and_change_nothing(apex_client, make_workspace) -> None:
    fixture = make_workspace()
    workspace_id = fixture.workspace.pk

    suspend = apex_client.post(f"/console/workspaces/{workspace_id}/suspend/")
    create = apex_client.post(
        "/console/workspaces/new/",
        {
            "name": "Sneaky",
            "slug": "sneaky",
            "owner_email": "sneak@x.example",
            "owner_password": OWNER_PASSWORD,
        },
    )

    assert suspend.status_code == 403
    assert "Staff only" in suspend.text
    assert create.status_code == 403
    assert Workspace.objects.get(pk=workspace_id).status == "active"
    assert not Workspace.objects.filter(slug="sneaky").exists()
    assert public_audit("console_workspace_suspended") == []


def test_signed_in_account_that_lost_staff_is_redirected_and_refused(
    staff_client, staff_user, make_workspace
) -> None:
    fixture = make_workspace()
    with schema_context("public"):
        User.objects.filter(pk=staff_user.pk).update(is_staff=False)

    page = staff_client.get("/console/")
    suspend = staff_client.post(f"/console/workspaces/{fixture.workspace.pk}/suspend/")
    login_page = staff_client.get("/console/login/")

    assert page.status_code == 302
    assert page["Location"].startswith("/console/login/")
    assert suspend.status_code == 403
    assert Workspace.objects.get(pk=fixture.workspace.pk).status == "active"
    assert login_page.status_code == 200


# --- The list -------------------------------------------------------------------------------


def test_list_shows_each_workspace_with_owner_email_and_user_count(
    staff_client, two_workspaces
) -> None:
    alpha, beta = two_workspaces
    add_member(alpha.workspace, User.Role.MEMBER)

    response = staff_client.get("/console/")

    assert response.status_code == 200
    alpha_row, beta_row = row_of(response.text, "alpha"), row_of(response.text, "beta")
    assert "Alpha Coaching" in alpha_row
    assert alpha.owner_email in alpha_row
    assert 'href="http://alpha.localhost:8000"' in alpha_row
    assert "Growth" in alpha_row and "Trial" in alpha_row  # the plan a new workspace trials
    assert "Active" in alpha_row
    assert cells(alpha_row)[6:8] == ["2", "0"]  # users, leads
    assert beta.owner_email in beta_row
    assert alpha.owner_email not in beta_row
    assert cells(beta_row)[6:8] == ["1", "0"]
    assert 'id="workspace-public"' not in response.text


def test_list_counts_leads_and_shows_zero_where_the_table_is_missing(
    staff_client, two_workspaces
) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        for number in range(3):
            Lead.objects.create(email=f"lead{number}@buyer.example")
    with schema_context(beta.workspace.schema_name), connection.cursor() as cursor:
        cursor.execute("DROP TABLE crm_lead CASCADE")  # rolled back with the test

    response = staff_client.get("/console/")

    assert cells(row_of(response.text, "alpha"))[7] == "3"
    assert cells(row_of(response.text, "beta"))[7] == "0"


def test_search_matches_name_slug_and_owner_email(staff_client, two_workspaces) -> None:
    create_workspace(
        name="Studio Gamma",
        slug="gamma",
        owner_email="Jane.Doe@studio.example",
        owner_password=OWNER_PASSWORD,
    )

    by_name = staff_client.get("/console/", {"q": "coaching"}).text
    by_slug = staff_client.get("/console/", {"q": "BETA"}).text
    by_owner = staff_client.get("/console/", {"q": "jane.doe@"}).text
    nothing = staff_client.get("/console/", {"q": "no-such-thing"}).text

    assert 'id="workspace-alpha"' in by_name
    assert 'id="workspace-beta"' not in by_name
    assert 'id="workspace-beta"' in by_slug
    assert 'id="workspace-alpha"' not in by_slug
    assert 'id="workspace-gamma"' in by_owner
    assert 'id="workspace-alpha"' not in by_owner
    assert "No workspace matches" in nothing


def test_search_treats_wildcards_literally(staff_client, two_workspaces) -> None:
    response = staff_client.get("/console/", {"q": "%"})

    assert "No workspace matches" in response.text


def test_list_is_paginated(staff_client, monkeypatch, two_workspaces) -> None:
    assert PER_PAGE == 50
    # Fifty-one real schemas would make the test slow; a page of one shows the same thing.
    monkeypatch.setattr("tenants.selectors.console.PER_PAGE", 1)

    first = staff_client.get("/console/").text
    second = staff_client.get("/console/", {"page": "2"}).text

    assert "Page 1 of 2" in first
    assert 'id="workspace-beta"' in first  # newest first
    assert 'id="workspace-alpha"' not in first
    assert 'href="?page=2"' in first
    assert "Page 2 of 2" in second
    assert 'id="workspace-alpha"' in second


def test_list_costs_the_same_few_queries_for_each_more_workspace(
    staff_client, make_workspace
) -> None:
    def queries_to_list() -> int:
        with queries_run() as queries:
            assert staff_client.get("/console/").status_code == 200
        return len(queries)

    counts = []
    for _ in range(3):
        make_workspace()
        counts.append(queries_to_list())

    per_workspace = counts[1] - counts[0]
    assert counts[0] > 0  # the counter sees the request's queries
    assert counts[2] - counts[1] == per_workspace
    assert per_workspace <= 2  # the schema's search path, then one SELECT


# --- Suspend and reactivate -----------------------------------------------------------------


def test_suspend_closes_the_workspace_host_and_reactivate_opens_it(
    staff_client, staff_user, make_workspace
) -> None:
    fixture = make_workspace()
    host = Client(HTTP_HOST=fixture.workspace.primary_host)
    assert host.get("/api/v1/workspace").status_code == 200  # warms the host cache
    workspace_id = fixture.workspace.pk

    suspended = staff_client.post(
        f"/console/workspaces/{workspace_id}/suspend/", {"next": "/console/"}
    )
    while_suspended = host.get("/api/v1/workspace")
    reactivated = staff_client.post(f"/console/workspaces/{workspace_id}/reactivate/")

    assert suspended.status_code == 302
    assert suspended["Location"] == "/console/"
    assert while_suspended.status_code == 403
    assert while_suspended.json()["error"]["code"] == "workspace_suspended"
    assert reactivated.status_code == 302
    assert reactivated["Location"] == f"/console/workspaces/{workspace_id}/"
    assert host.get("/api/v1/workspace").status_code == 200
    [event] = public_audit("console_workspace_suspended")
    assert (event.actor_id, event.target_type, event.target_id) == (
        staff_user.pk,
        "workspace",
        str(workspace_id),
    )
    assert event.details == {"slug": fixture.workspace.slug}
    assert event.ip == "127.0.0.1"
    assert len(public_audit("console_workspace_reactivated")) == 1


def test_list_shows_suspended_status_and_a_reactivate_button(staff_client, make_workspace) -> None:
    fixture = make_workspace()
    staff_client.post(f"/console/workspaces/{fixture.workspace.pk}/suspend/")

    row = row_of(staff_client.get("/console/").text, fixture.workspace.slug)

    assert "Suspended" in row
    assert f"/console/workspaces/{fixture.workspace.pk}/reactivate/" in row


def test_suspending_twice_records_one_change(staff_client, make_workspace) -> None:
    fixture = make_workspace()

    for _ in range(2):
        staff_client.post(f"/console/workspaces/{fixture.workspace.pk}/suspend/")

    assert len(public_audit("console_workspace_suspended")) == 1


def test_the_public_site_cannot_be_suspended(staff_client) -> None:
    public = Workspace.objects.get(schema_name="public")

    response = staff_client.post(f"/console/workspaces/{public.pk}/suspend/")

    assert response.status_code == 404
    assert Workspace.objects.get(pk=public.pk).status == "active"


def test_redirect_after_an_action_never_leaves_the_console(staff_client, make_workspace) -> None:
    fixture = make_workspace()

    response = staff_client.post(
        f"/console/workspaces/{fixture.workspace.pk}/suspend/",
        {"next": "https://evil.example/console/"},
    )

    assert response["Location"] == f"/console/workspaces/{fixture.workspace.pk}/"


# --- Creating a workspace -------------------------------------------------------------------


def test_staff_creates_a_workspace_whose_owner_can_sign_in(staff_client, staff_user) -> None:
    form = staff_client.get("/console/workspaces/new/")
    response = staff_client.post(
        "/console/workspaces/new/",
        {
            "name": "Delta Dance",
            "slug": "delta",
            "owner_name": "Dana",
            "owner_email": "dana@delta.example",
            "owner_password": OWNER_PASSWORD,
        },
    )

    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in form.text
    workspace = Workspace.objects.get(slug="delta")
    assert response.status_code == 302
    assert response["Location"] == f"/console/workspaces/{workspace.pk}/"
    assert "Created Delta Dance" in staff_client.get(response["Location"]).text
    sign_in_client(workspace, "dana@delta.example")
    [event] = public_audit("console_workspace_created")
    assert event.actor_id == staff_user.pk
    assert event.details == {"slug": "delta", "owner_email": "dana@delta.example"}


def test_taken_slug_shows_the_error_next_to_the_form(staff_client, make_workspace) -> None:
    make_workspace("acme")

    response = staff_client.post(
        "/console/workspaces/new/",
        {
            "name": "Another Acme",
            "slug": "acme",
            "owner_email": "other@acme.example",
            "owner_password": OWNER_PASSWORD,
        },
    )

    assert response.status_code == 409
    assert "This workspace address is already taken" in response.text
    assert 'value="Another Acme"' in response.text
    assert Workspace.objects.filter(slug="acme").count() == 1
    assert public_audit("console_workspace_created") == []


def test_invalid_fields_show_their_errors(staff_client) -> None:
    response = staff_client.post(
        "/console/workspaces/new/",
        {"name": "", "slug": "x", "owner_email": "not-an-email", "owner_password": "123"},
    )

    assert response.status_code == 422
    assert "Give the workspace a name." in response.text
    assert "The address must be 3 to 40 characters long." in response.text
    assert "Enter a valid email address" in response.text
    assert "This password is too short" in response.text
    assert not Workspace.objects.filter(slug="x").exists()


# --- The read-only view of one workspace ----------------------------------------------------


def test_workspace_page_shows_its_members_and_activity_and_is_audited(
    staff_client, staff_user, two_workspaces
) -> None:
    alpha, beta = two_workspaces
    add_member(alpha.workspace, User.Role.ADMIN, email="ann.admin@alpha.example")
    alpha.signed_in_client()  # writes a sign_in event into alpha's own audit log

    response = staff_client.get(f"/console/workspaces/{alpha.workspace.pk}/")

    assert response.status_code == 200
    assert "Alpha Coaching" in response.text
    assert alpha.owner_email in response.text
    assert "ann.admin@alpha.example" in response.text
    assert "alpha.localhost" in response.text
    assert "<code>sign_in</code>" in response.text
    assert beta.owner_email not in response.text
    [event] = public_audit("console_workspace_viewed")
    assert event.actor_id == staff_user.pk
    assert event.details == {"workspace_id": alpha.workspace.pk, "slug": "alpha"}
    with schema_context(alpha.workspace.schema_name):
        assert not AuditEvent.objects.filter(action="console_workspace_viewed").exists()


def test_workspace_page_has_no_form_but_suspend_and_send_rate(staff_client, make_workspace) -> None:
    fixture = make_workspace()

    html = staff_client.get(f"/console/workspaces/{fixture.workspace.pk}/").text

    actions = re.findall(r'<form method="post" action="([^"]+)"', html)
    changing = [action for action in actions if action != "/console/logout/"]
    assert changing == [
        f"/console/workspaces/{fixture.workspace.pk}/suspend/",
        f"/console/workspaces/{fixture.workspace.pk}/send-rate/",
    ]


@pytest.mark.parametrize("which", ["unknown", "public"])
def test_unknown_or_public_workspace_page_is_404(staff_client, which) -> None:
    public = Workspace.objects.get(schema_name="public")
    workspace_id = public.pk if which == "public" else 999_999

    response = staff_client.get(f"/console/workspaces/{workspace_id}/")

    assert response.status_code == 404
    assert "Workspace not found" in response.text
    assert public_audit("console_workspace_viewed") == []


# --- The public audit log -------------------------------------------------------------------


def test_audit_page_lists_platform_events_and_filters_by_action(
    staff_client, make_workspace
) -> None:
    fixture = make_workspace()
    staff_client.post(f"/console/workspaces/{fixture.workspace.pk}/suspend/")

    everything = staff_client.get("/console/audit/")
    suspensions = staff_client.get("/console/audit/", {"action": "console_workspace_suspended"})

    assert everything.status_code == 200
    assert "<code>console_sign_in</code>" in everything.text
    assert "<code>console_workspace_suspended</code>" in everything.text
    assert "<code>console_workspace_suspended</code>" in suspensions.text
    assert "<code>console_sign_in</code>" not in suspensions.text
    assert STAFF_EMAIL in suspensions.text
    assert fixture.workspace.slug in suspensions.text


# --- create_staff_user ----------------------------------------------------------------------


def test_create_staff_user_command_creates_a_console_account(apex_client) -> None:
    out = StringIO()

    call_command(
        "create_staff_user",
        "--email",
        "ops@platform.example",
        "--password",
        STAFF_PASSWORD,
        "--name",
        "Olga Ops",
        stdout=out,
    )

    assert "Created staff account ops@platform.example" in out.getvalue()
    user = public_user("ops@platform.example")
    assert user is not None
    assert (user.is_staff, user.full_name) == (True, "Olga Ops")
    signed_in = apex_client.post(
        "/console/login/", {"email": "ops@platform.example", "password": STAFF_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_create_staff_user_promotes_an_existing_account_and_sets_its_password(db) -> None:
    with schema_context("public"):
        create_user(email="pat@platform.example", password="an old pass phrase 1")
    out = StringIO()

    call_command(
        "create_staff_user",
        "--email",
        "PAT@platform.example",
        "--password",
        STAFF_PASSWORD,
        stdout=out,
    )

    assert "Updated staff account pat@platform.example: made staff, password set" in (
        out.getvalue()
    )
    user = public_user("pat@platform.example")
    assert user is not None
    assert user.is_staff
    assert user.check_password(STAFF_PASSWORD)
    with schema_context("public"):
        assert User.objects.filter(email__iexact="pat@platform.example").count() == 1


def test_create_staff_user_refuses_a_weak_password(db) -> None:
    with pytest.raises(CommandError, match="password: This password is too short"):
        call_command("create_staff_user", "--email", "weak@platform.example", "--password", "abc")

    assert public_user("weak@platform.example") is None


def test_create_staff_user_leaves_an_existing_account_alone_on_a_weak_password(
    staff_user,
) -> None:
    with pytest.raises(CommandError, match="too common"):
        call_command("create_staff_user", "--email", STAFF_EMAIL, "--password", "password123")

    user = public_user(STAFF_EMAIL)
    assert user is not None
    assert user.check_password(STAFF_PASSWORD)


def test_staff_set_and_clear_a_workspaces_email_send_rate(
    staff_client, staff_user, make_workspace
) -> None:
    fixture = make_workspace()
    path = f"/console/workspaces/{fixture.workspace.pk}/send-rate/"

    page = staff_client.get(f"/console/workspaces/{fixture.workspace.pk}/").text
    raised = staff_client.post(path, {"email_send_rate": "5,000"}, follow=True)
    after_raise = Workspace.objects.get(pk=fixture.workspace.pk).email_send_rate
    too_high = staff_client.post(path, {"email_send_rate": "1000000"}, follow=True)
    garbage = staff_client.post(path, {"email_send_rate": "fast"}, follow=True)
    cleared = staff_client.post(path, {"email_send_rate": ""}, follow=True)

    assert "campaign emails per second" in page
    assert after_raise == 5000
    assert "may now send 5,000 campaign emails per second" in raised.text
    assert "Give 1 to 100,000 emails per second" in too_high.text
    assert "whole number" in garbage.text
    assert "platform default" in cleared.text
    assert Workspace.objects.get(pk=fixture.workspace.pk).email_send_rate is None
    [first, second] = sorted(public_audit("console_send_rate_changed"), key=lambda e: e.pk)
    assert first.details == {"slug": fixture.workspace.slug, "before": None, "after": 5000}
    assert second.details["after"] is None


def test_only_staff_change_send_rates(apex_client, make_workspace) -> None:
    fixture = make_workspace()

    response = apex_client.post(
        f"/console/workspaces/{fixture.workspace.pk}/send-rate/", {"email_send_rate": "9"}
    )

    assert response.status_code in (302, 403)
    assert Workspace.objects.get(pk=fixture.workspace.pk).email_send_rate is None
