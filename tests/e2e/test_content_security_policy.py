"""The main pages in headless Chromium under the real Content-Security-Policy (the app under
gunicorn): the dashboard, leads, a lead, the pipeline, campaigns, payments, settings, billing,
team and API keys in a workspace; the landing page, pricing, sign-up and the console on the
apex. The browser reports no violation and no script error on any of them, htmx still
counts the audience live, the confirmations that used to be inline handlers still ask, the
API docs render, and sign-up still hands over to the new workspace's own domain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from accounts.models import AuditEvent
from accounts.services.users import create_user
from crm.models import Lead
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts" / "csp"
TAGGED = 4
OTHERS = 2
SIGNUP_SLUG = "csp-signup-check"
STAFF_EMAIL = "staff@csp-check.example"

# Runs in every frame before the page's own scripts (Playwright injects it outside the
# page's CSP): each violation the browser reports becomes a console error we collect.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`csp-violation: ${event.effectiveDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""


# Answers that are the point of a step (the 422 of a bad criterion, the 404 page) or that
# Chromium asks for by itself (the favicon): not complaints.
EXPECTED_ERRORS = {
    ("/favicon.ico", 404),
    ("/campaigns/audience-count/", 422),
    ("/no-such-page/", 404),
}


@dataclass
class BrowserComplaints:
    """What the browser said was wrong: CSP violations, console errors, script errors and
    failed loads."""

    seen: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith("Failed to load resource"):
            return  # without its address; on_response names it
        if message.type == "error" or "Content Security Policy" in text:
            self.seen.append(f"console {message.type}: {text}")

    def on_response(self, response: Response) -> None:
        path = urlsplit(response.url).path
        if response.status >= 400 and (path, response.status) not in EXPECTED_ERRORS:
            self.seen.append(f"{response.status} from {response.url}")

    def take(self) -> list[str]:
        taken, self.seen[:] = list(self.seen), []
        return taken


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="csp", name="Policy Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            Lead.objects.bulk_create(
                [
                    Lead(first_name=f"T{i}", email=f"t{i}@csp.example", tags=["spring"])
                    for i in range(TAGGED)
                ]
                + [Lead(first_name=f"O{i}", email=f"o{i}@csp.example") for i in range(OTHERS)]
            )
        yield ws


@pytest.fixture
def staff_account(django_db_blocker) -> Iterator[str]:
    """A committed platform staff account (public schema); it and its audit rows go after."""
    with django_db_blocker.unblock(), schema_context("public"):
        staff = create_user(email=STAFF_EMAIL, password=OWNER_PASSWORD, is_staff=True)
    yield STAFF_EMAIL
    with django_db_blocker.unblock(), schema_context("public"):
        AuditEvent.objects.filter(actor_email=STAFF_EMAIL).delete()
        # Not staff.delete(): its cascade would look for the user in tenant-only tables.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_user WHERE id = %s", [staff.pk])


@pytest.fixture
def signup_cleanup(django_db_blocker) -> Iterator[None]:
    """Drops the workspace the sign-up check creates through the browser."""
    yield
    with django_db_blocker.unblock():
        use_public_schema()
        for made in Workspace.objects.filter(slug=SIGNUP_SLUG):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{made.schema_name}" CASCADE')
            made.delete()


def test_main_pages_load_without_a_single_policy_violation(
    workspace: Workspace, staff_account: str, signup_cleanup: None, tmp_path, django_db_blocker
) -> None:
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        lead_id = Lead.objects.get(email="t0@csp.example").pk
    port = free_port()
    web_log = tmp_path / "gunicorn.log"
    env = worker_env(CRM_PUBLIC_PORT=str(port), LOG_LEVEL="WARNING")
    with gunicorn_app(env, log_path=web_log, port=port), chromium_page() as page:
        complaints = BrowserComplaints()
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", complaints.on_console)
        page.on("response", complaints.on_response)
        page.on("pageerror", lambda error: complaints.seen.append(f"script error: {error}"))
        try:
            _walk_the_pages(page, complaints, workspace, port, lead_id)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\n--- web log ---\n{web_log.read_text()[-4000:]}"
            ) from error


def _walk_the_pages(
    page: Page, complaints: BrowserComplaints, workspace: Workspace, port: int, lead_id: int
) -> None:
    base = f"http://{workspace.primary_host}:{port}"
    apex = f"http://localhost:{port}"
    problems: dict[str, list[str]] = {}

    def check(name: str, *, full_page: bool = True) -> None:
        page.wait_for_load_state("networkidle")
        _screenshot(page, f"{name}.png", full_page=full_page)
        if found := complaints.take():
            problems[name] = found

    # Sign-in page, then in.
    response = page.goto(f"{base}/login/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    check("sign-in")
    page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()  # charts
    check("home")

    # The pages a workspace lives in, each with its own scripts (charts, the leads table,
    # the board's drag and drop, the lead's htmx panels).
    page.goto(f"{base}/leads/")
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    check("leads")
    page.goto(f"{base}/leads/{lead_id}/")
    expect(page.get_by_role("heading", name="T0")).to_be_visible()
    check("lead")
    page.goto(f"{base}/pipeline/")
    expect(page.get_by_role("heading", name="Pipeline", exact=True)).to_be_visible()
    check("pipeline")
    page.goto(f"{base}/payments/")
    expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    check("payments")
    page.goto(f"{base}/settings/")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    check("settings")
    page.goto(f"{base}/settings/billing/")
    expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
    check("billing")

    page.goto(f"{base}/campaigns/")
    expect(page.get_by_role("heading", name="No campaigns yet")).to_be_visible()
    check("campaigns-list")

    # The editor: htmx counts the audience as the criteria change, and shows a 422's reason.
    page.goto(f"{base}/campaigns/new/")
    count = page.locator("#audience-count")
    expect(count).to_have_text(f"{TAGGED + OTHERS} leads match now")
    page.get_by_label("Campaign name").fill("Policy check")
    page.get_by_label("Subject").fill("Hello {{ lead.first_name }}")
    page.get_by_label("Text", exact=True).fill("Hi {{ lead.first_name }}, a short note.")
    page.get_by_label("Tags").fill("spring")
    expect(count).to_have_text(f"{TAGGED} leads match now")
    page.get_by_label("Value").fill("gold")  # a value without its custom field: 422
    expect(count).to_contain_text("Choose the custom field this value is for.")
    page.get_by_label("Value").fill("")
    expect(count).to_have_text(f"{TAGGED} leads match now")
    check("campaign-editor")

    # The detail page: the preview's inline email styles, and a confirmation that asks.
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    expect(page.get_by_test_id("preview-subject")).to_have_text("Hello T0")
    detail_url = page.url
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Delete draft").click()
    expect(page.get_by_role("button", name="Delete draft")).to_be_visible()
    assert asked == ["Delete “Policy check”? This cannot be undone."]
    assert page.url == detail_url
    check("campaign-detail")

    page.goto(f"{base}/team/")
    expect(page.get_by_role("button", name="Send invitation")).to_be_visible()
    check("team")

    page.goto(f"{base}/settings/api-keys/")
    expect(page.get_by_role("heading", name="API keys")).to_be_visible()
    check("api-keys")

    page.goto(f"{base}/settings/email/")
    expect(page.get_by_role("heading", name="Email settings", exact=True)).to_be_visible()
    check("email-settings")

    # Ninja's Swagger UI, from its own static files.
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CRM workspace API")
    expect(page.locator(".opblock").first).to_be_visible()
    check("api-docs", full_page=False)

    page.goto(f"{base}/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check("not-found")

    page.goto(f"{apex}/")
    expect(page.get_by_role("link", name="Create a workspace").first).to_be_visible()
    check("apex-landing")

    page.goto(f"{apex}/pricing/")
    expect(page.get_by_role("heading", name="Start free. Pay when you grow.")).to_be_visible()
    check("apex-pricing")

    page.goto(f"{apex}/console/login/")
    expect(page.get_by_role("heading", name="Platform console")).to_be_visible()
    check("console-login")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Workspaces")).to_be_visible()
    check("console-workspaces")
    page.goto(f"{apex}/console/workspaces/{workspace.pk}/")
    expect(page.get_by_label("Campaign emails per second")).to_be_visible()
    check("console-workspace")

    # Sign-up posts on the apex and is redirected to the new workspace's domain: the
    # policy's form-action must allow our own subdomains.
    page.context.clear_cookies()
    page.goto(f"{apex}/signup/")
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    check("signup")
    page.get_by_label("Business name").fill("Signup Check")
    page.get_by_label("Your address").fill(SIGNUP_SLUG)
    page.get_by_label("Your name").fill("Sam Signup")
    page.get_by_label("Your email").fill("sam@signup.example")
    page.get_by_label("Choose a password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Create my workspace").click()
    page.wait_for_url(re.compile(rf"http://{SIGNUP_SLUG}\.localhost:{port}/.*"))
    check("signup-handoff")

    assert problems == {}, "\n".join(
        f"{name}:\n  " + "\n  ".join(found) for name, found in problems.items()
    )


def _screenshot(page: Page, name: str, *, full_page: bool) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
