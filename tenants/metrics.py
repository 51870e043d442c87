"""The workspaces-by-status gauge, read from the public schema at every scrape."""

from __future__ import annotations

from collections.abc import Iterator

from django_tenants.utils import get_public_schema_name, schema_context
from prometheus_client.core import GaugeMetricFamily, Metric

from tenants.models import BillingStatus
from tenants.selectors.status_counts import ACTIVE, READ_ONLY, SUSPENDED, count_workspaces_by_status


class WorkspacesByStatusCollector:
    def collect(self) -> Iterator[Metric]:
        # /metrics answers before the workspace middleware: the connection may still be in
        # the schema of the request it served last.
        with schema_context(get_public_schema_name()):
            counts = count_workspaces_by_status()
        gauge = GaugeMetricFamily(
            "crm_workspaces",
            "Customer workspaces by billing status and access (active, read_only, suspended).",
            labels=["billing_status", "access"],
        )
        # Every combination, zeros included, so a panel's series never vanish.
        for billing_status in BillingStatus.values:
            for access in (ACTIVE, READ_ONLY, SUSPENDED):
                gauge.add_metric([billing_status, access], counts.get((billing_status, access), 0))
        yield gauge
