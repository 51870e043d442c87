"""The promise behind campaign sending: a worker killed with SIGKILL in the middle of a
campaign, while Postmark holds a batch it has already accepted, and a worker started
again, and every lead of the audience has received exactly one email (counted at the
Postmark double). Real Celery workers, real Redis, real PostgreSQL; recovery comes from the
beat's sweep (the broker would only give the killed jobs back after an hour)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from outreach.models import Campaign, EmailSettings
from outreach.services.campaign_sending import send_campaign
from outreach.services.campaigns import create_campaign
from project.celery import app
from tenants.models import Workspace
from tests.support.fakes import fake_postmark
from tests.support.workers import celery_worker, committed_workspace, wait_for

pytestmark = pytest.mark.slow
AUDIENCE = 600


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="crash", name="Crash Co") as created:
        yield created


def campaign_state(workspace: Workspace, campaign_id: int) -> tuple[str, Counter[str]]:
    with schema_context(workspace.schema_name):
        status = Campaign.objects.get(pk=campaign_id).status
        messages = Counter(Message.objects.values_list("status", flat=True))
    return status, messages


def test_a_worker_killed_mid_campaign_leaves_every_lead_with_exactly_one_email(
    workspace: Workspace, tmp_path, django_db_blocker
) -> None:
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        Lead.objects.bulk_create(
            [Lead(first_name=f"L{i}", email=f"l{i}@crash.example") for i in range(AUDIENCE)]
        )
        EmailSettings.objects.create(pk=1, postal_address="1 Crash Lane, Leeds")
        campaign = create_campaign(
            actor=None,
            name="Launch",
            subject="Hi {{ lead.first_name }}",
            body_template="Doors open",
        )
    audience = {f"l{i}@crash.example" for i in range(AUDIENCE)}

    with fake_postmark() as double:
        double.keep_bodies = False
        double.respond_delay = 0.3  # Postmark has the batch; the worker waits for its answer
        env = {
            "POSTMARK_SERVER_TOKEN": "server-token-crash",
            "POSTMARK_API_URL": double.url,
            "POSTMARK_TIMEOUT_SECONDS": "5",
            "CRM_SEND_BATCH_SIZE": "50",
            "CRM_SEND_LEASE_SECONDS": "3",
            "CRM_SEND_SWEEP_SECONDS": "1",
            "CRM_EMAIL_SEND_RATE": "100000",
        }
        with django_db_blocker.unblock():
            with celery_worker(tmp_path, env=env, beat=True, name="first") as first:
                default_queue = app.conf.task_default_queue
                app.conf.task_default_queue = first.queue
                try:
                    with schema_context(workspace.schema_name):
                        send_campaign(actor=None, campaign_id=campaign.pk)
                finally:
                    app.conf.task_default_queue = default_queue
                wait_for(
                    lambda: len(double.received) >= AUDIENCE // 4 and double.in_flight > 0,
                    timeout=60,
                    message=f"the first worker never got going:\n{first.log()}",
                    every=0.01,
                )
                first.kill()
            killed_at = len(double.received)
            status, messages = campaign_state(workspace, campaign.pk)
            assert status == "sending"
            assert messages["sending"] > 0, messages  # a batch Postmark took, never recorded

            with celery_worker(tmp_path, env=env, beat=True, name="restarted") as restarted:
                wait_for(
                    lambda: campaign_state(workspace, campaign.pk)[0] == "sent",
                    timeout=90,
                    message=f"the campaign never finished:\n{restarted.log()[-6000:]}",
                    every=0.2,
                )
                log = restarted.log()

    received = Counter(double.accepted_to())
    assert set(received) == audience
    assert set(received.values()) == {1}, [to for to, n in received.items() if n > 1][:5]
    assert killed_at < AUDIENCE
    with django_db_blocker.unblock():
        status, messages = campaign_state(workspace, campaign.pk)
        with schema_context(workspace.schema_name):
            sent_count = Campaign.objects.get(pk=campaign.pk).sent_count
    assert messages == Counter({"sent": AUDIENCE})
    assert sent_count == AUDIENCE
    reconciled = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"email_batch_reconciled"' in line
    ]
    assert sum(entry["found_sent"] for entry in reconciled) > 0, log[-4000:]
