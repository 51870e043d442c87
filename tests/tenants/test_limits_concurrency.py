"""Two requests taking the last lead or seat at once: exactly one wins. The rows are
committed (each thread has its own connection), so the workspace is a committed one.

The first writer is held open inside its transaction, after its check, until the second has
had time to check too: without the limit's lock the second would count the first's lead as
not there yet and both would pass."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.team import accept_invitation, invite_member
from crm.models import Lead
from crm.services.leads import create_lead
from mail.models import OutboxEmail
from tenants.errors import PlanLimitReached
from tenants.models import Workspace
from tests.support.clients import OWNER_PASSWORD
from tests.support.limits import set_limits
from tests.support.workers import committed_workspace

HOLD_SECONDS = 0.5


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with (
        committed_workspace(django_db_blocker, prefix="race", name="Race Coaching") as ws,
        django_db_blocker.unblock(),
    ):
        yield ws


def _in_thread(workspace: Workspace, work: Callable[[], Any], out: dict[str, Any], key: str):
    def run() -> None:
        try:
            with schema_context(workspace.schema_name):
                out[key] = work()
        except PlanLimitReached as error:
            out[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def race(workspace: Workspace, first: Callable[[], Any], second: Callable[[], Any]) -> dict:
    """`first` runs and stays uncommitted while `second` starts; then `first` commits."""
    checked, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def held_first() -> Any:
        with transaction.atomic():
            made = first()
            checked.set()
            release.wait(10)
        return made

    one = _in_thread(workspace, held_first, outcome, "first")
    assert checked.wait(10)
    two = _in_thread(workspace, second, outcome, "second")
    two.join(HOLD_SECONDS)
    outcome["second_waited"] = two.is_alive()  # queued on the lock, not counting yet
    release.set()
    one.join(10)
    two.join(10)
    return outcome


def test_two_requests_for_the_last_lead_one_wins(workspace: Workspace) -> None:
    with schema_context(workspace.schema_name):
        Lead.objects.create(email="first@example.com")
    set_limits(workspace, lead_limit=2)

    outcome = race(
        workspace,
        lambda: create_lead(actor=None, email="a@example.com"),
        lambda: create_lead(actor=None, email="b@example.com"),
    )

    assert isinstance(outcome["first"], Lead)
    assert isinstance(outcome["second"], PlanLimitReached)
    assert outcome["second_waited"]
    with schema_context(workspace.schema_name):
        assert Lead.objects.count() == 2


def test_two_invitees_accepting_the_last_seat_one_wins(workspace: Workspace) -> None:
    with schema_context(workspace.schema_name):
        owner = User.objects.get()
        for email in ("a@new.example", "b@new.example"):
            invite_member(actor=owner, email=email, role="member", base_url="http://x")
        tokens = [
            re.search(r"token=(\S+)", sent.text_body).group(1)  # type: ignore[union-attr]
            for sent in OutboxEmail.objects.filter(subject__icontains="invit").order_by("pk")
        ]
    set_limits(workspace, seat_limit=2)  # the plan went down: one more member fits

    def accept(raw: str) -> Callable[[], User]:
        return lambda: accept_invitation(raw_token=raw, full_name="N", password=OWNER_PASSWORD)

    outcome = race(workspace, accept(tokens[0]), accept(tokens[1]))

    assert isinstance(outcome["first"], User)
    assert isinstance(outcome["second"], PlanLimitReached)
    assert outcome["second_waited"]
    with schema_context(workspace.schema_name):
        assert User.objects.filter(is_active=True).count() == 2
