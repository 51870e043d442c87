"""CRM jobs. tenant-schemas-celery runs each in the schema it was queued from."""

from __future__ import annotations

import structlog

from crm.models import LeadImport
from crm.services.lead_import import IMPORT_JOB, run_import
from project.celery import app
from tenants.schemas import require_workspace_schema

log = structlog.get_logger(__name__)


@app.task(name=IMPORT_JOB, acks_late=True)
def import_leads(import_id: int) -> str:
    """Run a queued lead import; a rerun after a killed worker starts it over cleanly."""
    require_workspace_schema()
    lead_import = LeadImport.objects.filter(pk=import_id).first()
    if lead_import is None:
        return "missing"
    return run_import(lead_import).status
