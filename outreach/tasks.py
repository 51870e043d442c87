"""Outreach jobs. tenant-schemas-celery runs each in the schema it was queued from; the
sweep runs in the public schema and queues the others in each workspace's schema."""

from __future__ import annotations

import structlog

from outreach.delivery.start import (
    DELIVER_DIRECT_JOB,
    DELIVER_DIRECT_SMS_JOB,
    DELIVER_JOB,
    START_JOB,
)
from project.celery import app
from tenants.schemas import require_workspace_schema

log = structlog.get_logger(__name__)


@app.task(name=START_JOB, acks_late=True)
def start_campaign_job(campaign_id: int) -> str:
    """Freeze a sending campaign's audience (once) and queue its senders."""
    from outreach.delivery import start_campaign

    require_workspace_schema()
    campaign = start_campaign(campaign_id=campaign_id)
    return campaign.status if campaign else "gone"


@app.task(name=DELIVER_JOB, acks_late=True)
def deliver_campaign_job(campaign_id: int) -> str:
    """Send a campaign's queued messages; hands over to a fresh job after a while."""
    from outreach.delivery import deliver

    require_workspace_schema()
    run = deliver(campaign_id=campaign_id)
    log.info(
        "campaign_sender_stopped",
        campaign_id=campaign_id,
        outcome=run.outcome,
        sent=run.sent,
        failed=run.failed,
        suppressed=run.suppressed,
        reconciled=run.reconciled,
    )
    if run.outcome == "handover":
        deliver_campaign_job.delay(campaign_id)
    return run.outcome


@app.task(name=DELIVER_DIRECT_JOB, acks_late=True)
def deliver_direct_messages_job() -> str:
    """Send the workspace's queued one-off emails."""
    from outreach.delivery import deliver

    require_workspace_schema()
    run = deliver(campaign_id=None)
    if run.outcome == "handover":
        deliver_direct_messages_job.delay()
    return run.outcome


@app.task(name=DELIVER_DIRECT_SMS_JOB, acks_late=True)
def deliver_direct_sms_job() -> str:
    """Send the workspace's queued one-off texts."""
    from outreach.delivery import deliver

    require_workspace_schema()
    run = deliver(campaign_id=None, channel="sms")
    if run.outcome == "handover":
        deliver_direct_sms_job.delay()
    return run.outcome


@app.task(name="outreach.sweep_pending_sends")
def sweep_pending_sends() -> int:
    """Start scheduled campaigns that are due and restart sends whose senders went quiet
    (a killed worker, a lost job). Runs on the beat, in the public schema."""
    from outreach.delivery import sweep

    return sweep()
