"""The demo workspace makes sense at first sight: statuses agree with stages, nothing was
contacted in the future, tasks sit around today, and the charts have the last 90 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from crm.models import Lead, Message, Task
from crm.services.demo_data import STATUS_OF_STAGE, seed_demo_crm
from tests.support.clients import add_member
from tests.support.pages import page_text


@pytest.fixture
def demo(make_workspace):
    fixture = make_workspace()
    member = add_member(fixture.workspace, User.Role.MEMBER)
    with schema_context(fixture.workspace.schema_name):
        seed_demo_crm(owner=User.objects.get(role=User.Role.OWNER), members=[member])
    return fixture


def test_a_demo_leads_status_agrees_with_its_stage(demo) -> None:
    with schema_context(demo.workspace.schema_name):
        pairs = set(Lead.objects.values_list("stage__name", "status"))
        customers = Lead.objects.filter(status=Lead.Status.CUSTOMER)
        assert customers.exists()
        assert not customers.exclude(stage__name="Won").exists()
    assert pairs == {(stage, str(status)) for stage, status in STATUS_OF_STAGE.items()}


def test_nothing_in_the_demo_happened_in_the_future(demo) -> None:
    now = timezone.now()
    with schema_context(demo.workspace.schema_name):
        assert not Lead.objects.filter(created_at__gt=now).exists()
        assert not Lead.objects.filter(last_contacted_at__gt=now).exists()
        assert not Message.objects.filter(occurred_at__gt=now).exists()
        assert Lead.objects.filter(last_contacted_at__isnull=False).exists()
        for lead in Lead.objects.filter(last_contacted_at__isnull=False)[:200]:
            assert lead.last_contacted_at is not None
            assert lead.last_contacted_at >= lead.created_at
        assert not Task.objects.filter(done_at__gt=now).exists()


def test_demo_tasks_are_overdue_due_today_upcoming_and_done(demo) -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    with schema_context(demo.workspace.schema_name):
        open_tasks = list(Task.objects.filter(done_at__isnull=True, due_at__isnull=False))
        done = Task.objects.filter(done_at__isnull=False).count()
    due = [task.due_at for task in open_tasks if task.due_at is not None]
    overdue = [moment for moment in due if moment < now]
    due_today = [m for m in due if m >= now and timezone.localdate(m) == today]
    upcoming = [moment for moment in due if timezone.localdate(moment) > today]
    assert len(overdue) >= 20 and len(upcoming) >= 20 and done >= 20
    assert due_today or timezone.localtime(now).hour == 23  # none left late at night


def test_demo_leads_arrive_over_the_last_90_days(demo) -> None:
    now = timezone.now()
    with schema_context(demo.workspace.schema_name):
        created = list(Lead.objects.values_list("created_at", flat=True))
    recent = [moment for moment in created if moment >= now - timedelta(days=90)]
    weeks = {(now - moment).days // 7 for moment in recent}
    assert len(recent) >= 0.7 * len(created)
    assert weeks >= set(range(12))  # every week of the last twelve has new leads
    assert sum(moment >= now - timedelta(days=30) for moment in created) >= 300


def test_the_demo_dashboard_shows_its_numbers(demo) -> None:
    text = page_text(demo.signed_in_client().get("/?days=90"))

    assert "Total leads 2,000" in text
    assert "Get started" not in text
