"""The promise behind SMS campaigns: a worker killed with SIGKILL in the middle of a campaign,
while Twilio (the double) holds texts it has already accepted and not yet answered for, and
a worker started again, and every opted-in lead of the audience has received exactly one
text (counted at the double by To), the leads who never agreed none. Real Celery workers,
real Redis, real PostgreSQL; recovery comes from the beat's sweep, and the texts in flight
are found by Twilio's message list (number, body, time) before anything is sent again."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import Lead, Message
from outreach.models import Campaign
from outreach.services.campaign_sending import send_campaign
from outreach.services.campaigns import create_campaign
from project.celery import app
from tenants.models import Workspace
from tests.support.sms import add_textable_leads, connect_twilio
from tests.support.twilio_double import TwilioDouble, twilio_double
from tests.support.workers import celery_worker, committed_workspace, wait_for

pytestmark = pytest.mark.slow
AUDIENCE = 400
NOT_OPTED_IN = 20


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="smscrash", name="Crash Texts") as created:
        yield created


def campaign_state(workspace: Workspace, campaign_id: int) -> tuple[str, Counter[str]]:
    with schema_context(workspace.schema_name):
        status = Campaign.objects.get(pk=campaign_id).status
        messages = Counter(Message.objects.values_list("status", flat=True))
    return status, messages


def unanswered(double: TwilioDouble, workspace: Workspace) -> int:
    """Texts the double accepted that the engine has not recorded (their answer pending)."""
    with schema_context(workspace.schema_name):
        recorded = Message.objects.exclude(provider_id="").count()
    return len(double.sent()) - recorded


def test_a_worker_killed_mid_campaign_leaves_every_opted_in_lead_with_exactly_one_text(
    workspace: Workspace, tmp_path, django_db_blocker
) -> None:
    with twilio_double() as double:
        with django_db_blocker.unblock(), override_settings(TWILIO_API_BASE=double.url):
            connect_twilio(workspace, double, send_rate=1000)
            add_textable_leads(workspace, AUDIENCE)
            add_textable_leads(workspace, NOT_OPTED_IN, start=6000, sms_consent="unknown")
            with schema_context(workspace.schema_name):
                campaign = create_campaign(
                    actor=None,
                    name="Launch texts",
                    channel="sms",
                    body_template="Hi {{ lead.first_name }}, doors open Monday.",
                )
        audience = {f"+1415555{2000 + i:04d}" for i in range(AUDIENCE)}
        # Every answer comes late (the text is already taken): there are always texts in
        # flight, accepted and unanswered, when the worker dies.
        double.slow_seconds = 0.3
        double.fail_next = ["slow"] * 100_000
        env = {
            "TWILIO_API_BASE": double.url,
            "TWILIO_TIMEOUT_SECONDS": "5",
            "CRM_SEND_BATCH_SIZE": "40",
            "CRM_SMS_SEND_CHUNK": "10",
            "CRM_SMS_SEND_THREADS": "5",
            "CRM_SEND_LEASE_SECONDS": "3",
            "CRM_SEND_SWEEP_SECONDS": "1",
            # Whatever the time of day where the test runs: quiet hours have their own test.
            "CRM_SMS_SENDING_FROM_HOUR": "0",
            "CRM_SMS_SENDING_UNTIL_HOUR": "24",
        }
        with django_db_blocker.unblock():
            with celery_worker(tmp_path, env=env, beat=True, name="first") as first:
                default_queue = app.conf.task_default_queue
                app.conf.task_default_queue = first.queue
                try:
                    with (
                        schema_context(workspace.schema_name),
                        override_settings(TWILIO_API_BASE=double.url),
                    ):
                        send_campaign(actor=None, campaign_id=campaign.pk)
                finally:
                    app.conf.task_default_queue = default_queue
                wait_for(
                    lambda: (
                        len(double.sent()) >= AUDIENCE // 4 and unanswered(double, workspace) > 0
                    ),
                    timeout=60,
                    message=f"the first worker never got going:\n{first.log()[-6000:]}",
                    every=0.01,
                )
                first.kill()
            killed_at = len(double.sent())
            status, messages = campaign_state(workspace, campaign.pk)
            in_flight = unanswered(double, workspace)
            assert status == "sending"
            assert messages["sending"] > 0, messages  # texts Twilio took, never recorded
            assert in_flight > 0

            with celery_worker(tmp_path, env=env, beat=True, name="restarted") as restarted:
                wait_for(
                    lambda: campaign_state(workspace, campaign.pk)[0] == "sent",
                    timeout=120,
                    message=f"the campaign never finished:\n{restarted.log()[-6000:]}",
                    every=0.2,
                )
                log = restarted.log()

    received = Counter(message["to"] for message in double.sent())
    assert set(received) == audience  # the leads who never agreed got nothing
    assert set(received.values()) == {1}, [to for to, n in received.items() if n > 1][:5]
    assert killed_at < AUDIENCE
    with django_db_blocker.unblock():
        status, messages = campaign_state(workspace, campaign.pk)
        with schema_context(workspace.schema_name):
            row = Campaign.objects.get(pk=campaign.pk)
            not_opted_in = Lead.objects.filter(sms_consent="unknown", messages__isnull=False)
            assert not not_opted_in.exists()
    assert messages == Counter({"sent": AUDIENCE})
    assert (row.sent_count, row.segments_used) == (AUDIENCE, AUDIENCE)
    reconciled = [
        json.loads(line)
        for line in log.splitlines()
        if line.startswith("{") and '"sms_batch_reconciled"' in line
    ]
    assert sum(entry["found_sent"] for entry in reconciled) > 0, log[-4000:]
