"""CRM jobs. tenant-schemas-celery runs each in the schema it was queued from; the sweep
runs in the public schema and queues the others in each workspace's schema."""

from __future__ import annotations

import structlog

from project.celery import app
from tenants.schemas import current_schema

log = structlog.get_logger(__name__)


class NotInWorkspace(RuntimeError):
    """A workspace job found itself in the public schema: tenant-schemas-celery could not
    switch (it logs and goes on, e.g. when the database did not answer in time). The job
    stops here, touching nothing; the sweep queues it again."""


def in_workspace() -> None:
    if current_schema() == "public":
        raise NotInWorkspace("this job must run in a workspace's schema")


@app.task(name="crm.import_leads", acks_late=True)
def import_leads(import_id: int) -> str:
    """Run a queued lead import; a rerun after a killed worker starts it over cleanly."""
    from crm.models import LeadImport
    from crm.services.lead_import import run_import

    in_workspace()
    lead_import = LeadImport.objects.filter(pk=import_id).first()
    if lead_import is None:
        return "missing"
    return run_import(lead_import).status


@app.task(name="crm.start_campaign", acks_late=True)
def start_campaign_job(campaign_id: int) -> str:
    """Freeze a sending campaign's audience (once) and queue its senders."""
    from crm.services.campaign_sending import start_campaign

    in_workspace()
    campaign = start_campaign(campaign_id=campaign_id)
    return campaign.status if campaign else "gone"


@app.task(name="crm.deliver_campaign", acks_late=True)
def deliver_campaign_job(campaign_id: int) -> str:
    """Send a campaign's queued messages; hands over to a fresh job after a while."""
    from crm.services.delivery import deliver

    in_workspace()
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


@app.task(name="crm.deliver_direct_messages", acks_late=True)
def deliver_direct_messages_job() -> str:
    """Send the workspace's queued one-off emails."""
    from crm.services.delivery import deliver

    in_workspace()
    run = deliver(campaign_id=None)
    if run.outcome == "handover":
        deliver_direct_messages_job.delay()
    return run.outcome


@app.task(name="crm.sweep_pending_sends")
def sweep_pending_sends() -> int:
    """Start scheduled campaigns that are due and restart sends whose senders went quiet
    (a killed worker, a lost job). Runs on the beat, in the public schema."""
    from crm.services.sweep import sweep

    return sweep()
