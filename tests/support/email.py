"""Shared steps of the email tests: leads, a campaign ready to send, and running the jobs
in-process (the same functions the Celery tasks call)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from crm.models import Lead
from outreach.delivery import start_campaign
from outreach.delivery.sender import DeliveryRun, deliver
from outreach.models import Campaign, EmailSettings
from tests.support.clients import api, post

ADDRESS = "Alpha Coaching\n1 High Street\nBristol BS1 4DJ"


def add_leads(workspace, count: int, *, prefix: str = "lead", **fields: Any) -> list[int]:
    with schema_context(workspace.schema_name):
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    first_name=f"Name{i}",
                    email=f"{prefix}{i}@{workspace.slug}.example",
                    **fields,
                )
                for i in range(count)
            ]
        )
    return [lead.pk for lead in leads]


def set_postal_address(workspace, address: str = ADDRESS) -> None:
    with schema_context(workspace.schema_name):
        EmailSettings.objects.update_or_create(pk=1, defaults={"postal_address": address})


def create_campaign(client: Client, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Spring cohort",
        "subject": "{{ lead.first_name | default: 'Hi' }}, doors open Monday",
        "body_template": "Hi {{ lead.first_name | default: 'there' }},\n\n"
        "The spring cohort of {{ workspace.name }} opens on Monday.",
        **fields,
    }
    response = post(client, "/api/v1/campaigns", body)
    assert response.status_code == 201, response.content
    return response.json()


def ready_campaign(fixture, *, leads: int = 3, **fields: Any) -> tuple[Client, dict[str, Any]]:
    """A workspace with `leads` leads, its postal address, and a draft campaign to them all."""
    add_leads(fixture.workspace, leads)
    set_postal_address(fixture.workspace)
    client = api(fixture)
    return client, create_campaign(client, **fields)


def run_jobs(workspace, campaign_id: int, **options: Any) -> DeliveryRun:
    """What the start job and one sender job do, in this process."""
    with schema_context(workspace.schema_name):
        start_campaign(campaign_id=campaign_id)
        return deliver(campaign_id=campaign_id, **options)


def campaign_row(workspace, campaign_id: int) -> Campaign:
    with schema_context(workspace.schema_name):
        return Campaign.objects.get(pk=campaign_id)
