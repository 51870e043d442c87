"""Fixtures on the real PostgreSQL and Redis: workspaces are made by the real service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from crm.models import Message
from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tenants.services.provisioning import create_workspace
from tenants.services.template import refresh_template
from tests.support.clients import OWNER_PASSWORD, post
from tests.support.email import ready_campaign, run_jobs
from tests.support.fakes import FakePostmark, fake_postmark
from tests.support.stripe_double import (
    CONNECT_SECRET,
    PLATFORM_SECRET,
    SECRET_KEY,
    StripeDouble,
    stripe_double,
)
from tests.support.twilio_double import TwilioDouble, twilio_double
from tests.support.webhooks import hook, webhook_password

_slugs = count(1)


@pytest.fixture(scope="session", autouse=True)
def django_db_setup(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """After the test database is migrated, build the template that workspaces clone.

    pytest-django creates the test database only when a collected test asks for `db`; the
    tests that drive real worker processes commit their own rows and ask for none, so when
    they run alone the database is created here.
    """
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    created = None
    with django_db_blocker.unblock():
        if not str(connection.settings_dict["NAME"]).startswith("test_"):
            created = setup_databases(verbosity=0, interactive=False, aliases={"default": True})
        refresh_template()
    yield
    if created is not None:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    # Each xdist worker has its own Redis database (settings), so this clears only ours.
    caches["default"].clear()
    caches["hosts"].clear()
    yield
    use_public_schema()


@dataclass
class WorkspaceFixture:
    workspace: Workspace
    owner_email: str
    owner_password: str

    @property
    def host(self) -> str:
        return self.workspace.primary_host

    def client(self) -> Client:
        """A client whose requests go to this workspace's domain."""
        return Client(HTTP_HOST=self.host)

    def signed_in_client(self) -> Client:
        client = self.client()
        response = client.post(
            "/login/", {"email": self.owner_email, "password": self.owner_password}
        )
        assert response.status_code == 302, response.content
        return client


@pytest.fixture
def make_workspace(db: None) -> Callable[..., WorkspaceFixture]:
    def make(slug: str | None = None, name: str | None = None) -> WorkspaceFixture:
        use_public_schema()  # a request before may have left the connection in a workspace
        slug = slug or f"ws{next(_slugs)}"
        email = f"owner@{slug}.example"
        workspace = create_workspace(
            name=name or f"Workspace {slug}",
            slug=slug,
            owner_email=email,
            owner_password=OWNER_PASSWORD,
        )
        return WorkspaceFixture(workspace, email, OWNER_PASSWORD)

    return make


@pytest.fixture
def two_workspaces(
    make_workspace: Callable[..., WorkspaceFixture],
) -> tuple[WorkspaceFixture, WorkspaceFixture]:
    return make_workspace("alpha", "Alpha Coaching"), make_workspace("beta", "Beta Courses")


@pytest.fixture
def twilio() -> Iterator[TwilioDouble]:
    """The Twilio double on the loopback address, the twilio client pointed at it, with a
    timeout short enough for its "slow" failure."""
    with (
        twilio_double() as double,
        override_settings(TWILIO_API_BASE=double.url, TWILIO_TIMEOUT_SECONDS=0.5),
    ):
        double.slow_seconds = 1.0
        yield double


@pytest.fixture
def apex_client(db: None) -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def postmark() -> Iterator[FakePostmark]:
    """The Postmark double on the loopback address, with the app pointed at it and its
    timeouts, backoff and leases short enough for tests."""
    with (
        fake_postmark() as double,
        override_settings(
            POSTMARK_SERVER_TOKEN="server-token-1",
            POSTMARK_API_URL=double.url,
            POSTMARK_TIMEOUT_SECONDS=1,
            CRM_SEND_BACKOFF_BASE_SECONDS=0.05,
            CRM_SEND_LEASE_SECONDS=1.5,
            CRM_EMAIL_SEND_RATE=1_000_000,
        ),
    ):
        yield double


@pytest.fixture
def stripe_api() -> Iterator[StripeDouble]:
    """The Stripe double on the loopback address, with the stripe client pointed at it, its
    own retries on and a timeout short enough for the "slow" failure."""
    with (
        stripe_double() as double,
        override_settings(
            STRIPE_API_BASE=double.url,
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=PLATFORM_SECRET,
            STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_SECRET,
            STRIPE_TIMEOUT_SECONDS=1,
            STRIPE_MAX_NETWORK_RETRIES=2,
        ),
    ):
        yield double


@pytest.fixture
def sent(make_workspace, postmark):
    """A workspace whose 2-lead campaign went out, and a webhook client with its password."""
    fixture = make_workspace("alpha", "Alpha Coaching")
    client, campaign = ready_campaign(fixture, leads=2)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])
    with schema_context(fixture.workspace.schema_name):
        messages = list(Message.objects.order_by("id"))
    return (
        fixture,
        campaign["id"],
        messages,
        hook(fixture.workspace, webhook_password(fixture.workspace)),
    )
