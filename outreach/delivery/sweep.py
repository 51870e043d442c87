"""The periodic sweep over every workspace's pending sends (public schema, on the beat)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from mail.models import PendingSend
from outreach.delivery.start import DELIVER_DIRECT_JOB, DELIVER_DIRECT_SMS_JOB, START_JOB
from project.celery import queue_job
from tenants.models import Workspace

log = structlog.get_logger(__name__)
SWEEP_LIMIT = 500


def sweep() -> int:
    """Queue a start for every scheduled campaign that is due, and for every send whose
    senders have been quiet longer than a lease (a killed worker or a lost job); the start
    job is idempotent, reconciles what was in flight, and brings the senders back.

    Each entry is claimed by moving its heartbeat, so two sweeps never restart it twice.
    Suspended and read-only workspaces wait: a read-only workspace's scheduled campaigns are
    not started (they start once it subscribes again). Returns how many sends were restarted.
    """
    now = timezone.now()
    quiet_since = now - timedelta(seconds=settings.CRM_SEND_LEASE_SECONDS)
    due = (
        PendingSend.objects.select_related("workspace")
        .filter(heartbeat_at__lt=quiet_since)
        .filter(
            Q(state=PendingSend.State.ACTIVE)
            | Q(state=PendingSend.State.SCHEDULED, due_at__lte=now)
        )
        .exclude(workspace__status=Workspace.Status.SUSPENDED)
        .exclude(workspace__read_only_from__lte=now)
        .order_by("due_at")[:SWEEP_LIMIT]
    )
    restarted = 0
    for entry in due:
        claimed = PendingSend.objects.filter(pk=entry.pk, heartbeat_at=entry.heartbeat_at).update(
            heartbeat_at=now
        )
        if not claimed:
            continue
        with tenant_context(entry.workspace):
            if entry.campaign_id == PendingSend.DIRECT:
                queue_job(DELIVER_DIRECT_JOB)
            elif entry.campaign_id == PendingSend.DIRECT_SMS:
                queue_job(DELIVER_DIRECT_SMS_JOB)
            else:
                queue_job(START_JOB, entry.campaign_id)
        restarted += 1
        log.info(
            "pending_send_restarted",
            workspace=entry.workspace.schema_name,
            campaign_id=entry.campaign_id,
            state=entry.state,
        )
    return restarted
