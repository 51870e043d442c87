"""Two workspaces in one real browser: a lead, task or campaign address of workspace A opened
with B's session (on B's own domain, where the ids would be B's) is the 404 page and shows
nothing of A's; on A's domain B's cookie means nothing and the visitor is asked to sign in.
A member is refused the team page and has no development outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from accounts.services.users import create_user
from crm.models import Lead, Task
from outreach.services.campaigns import create_campaign
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def two(django_db_blocker) -> Iterator[tuple[Workspace, Workspace, dict[str, int]]]:
    with (
        committed_workspace(django_db_blocker, prefix="iso-a", name="Alpha Coaching") as a,
        committed_workspace(django_db_blocker, prefix="iso-b", name="Beta Courses") as b,
    ):
        with django_db_blocker.unblock(), schema_context(a.schema_name):
            lead = Lead.objects.create(first_name="Secret", email="secret@alpha.example")
            task = Task.objects.create(title="Call the secret lead", lead=lead)
            campaign = create_campaign(
                actor=None, name="Alpha launch", subject="Hi", body_template="Hello"
            )
            create_user(email=f"member@{a.slug}.example", password=OWNER_PASSWORD, role="member")
        with django_db_blocker.unblock(), schema_context(b.schema_name):
            # B's ids start where A's do, so B has none: A's ids must not reach A's rows.
            assert not Lead.objects.exists()
        yield a, b, {"lead": lead.pk, "task": task.pk, "campaign": campaign.pk}


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_another_workspace_s_addresses_are_404_pages_and_a_member_is_refused_the_team(
    two, tmp_path
) -> None:
    a, b, ids = two
    with gunicorn_app(worker_env(LOG_LEVEL="WARNING"), log_path=tmp_path / "web.log") as url:
        port = url.rsplit(":", 1)[1]
        base_a = f"http://{a.primary_host}:{port}"
        base_b = f"http://{b.primary_host}:{port}"
        with chromium_page() as page:
            _sign_in(page, base_b, f"owner@{b.slug}.example")
            for path in (
                f"/leads/{ids['lead']}/",
                f"/tasks/{ids['task']}/",
                f"/campaigns/{ids['campaign']}/",
            ):
                response = page.goto(f"{base_b}{path}")
                assert response is not None and response.status == 404, path
                heading = page.get_by_role("heading", level=1)
                expect(heading).to_contain_text(re.compile("not found", re.I))
                body = page.inner_text("body")
                assert "Secret" not in body and "Alpha" not in body, path
            page.screenshot(path=str(ARTIFACTS / "isolation-404.png"), full_page=True)
            # B's cookie on A's domain: a stranger there, sent to sign in.
            page.goto(f"{base_a}/leads/{ids['lead']}/")
            assert "/login/" in page.url
            assert "Secret" not in page.inner_text("body")

        with chromium_page() as page:
            _sign_in(page, base_a, f"member@{a.slug}.example")
            # The member's own workspace: the task page is theirs to see.
            page.goto(f"{base_a}/tasks/{ids['task']}/")
            expect(page.get_by_role("heading", name="Call the secret lead")).to_be_visible()
            expect(page.get_by_role("link", name="Secret")).to_be_visible()
            nav = page.get_by_role("navigation", name="Workspace")
            expect(nav.get_by_role("link", name="Team")).to_have_count(0)
            team = page.goto(f"{base_a}/team/")
            assert team is not None and team.status == 403
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "member-team-403.png"), full_page=True)
            outbox = page.goto(f"{base_a}/dev/outbox/")
            assert outbox is not None and outbox.status in (403, 404)
            assert "Development outbox" not in page.inner_text("main")
