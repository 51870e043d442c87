"""CRM jobs. tenant-schemas-celery runs each in the schema it was queued from."""

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
