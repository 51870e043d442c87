"""What the plan's lead limit adds to creating a lead, at 1,000,000 leads.

Times `crm.services.leads.create_lead(...)` (validation, the email check, the insert and its
tally trigger, the event row, one transaction) in a workspace of `BENCH_LIMIT_LEADS` leads
(default 1,000,000), with no lead limit (the check returns at once) and with one (the
check takes the workspace's advisory lock and sums the stage tally), in alternating pairs
so both see the same table. Beside it, the check alone (`check_leads(adding=1)` in a
transaction). The workspace is entered with `tenant_context`, as a request has it (the
limits come from the connection's workspace, no query). Prints one JSON object.

    .venv/bin/python bench/limit_checks.py
    BENCH_LIMIT_LEADS=100000 BENCH_LIMIT_RUNS=200 .venv/bin/python bench/limit_checks.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_limits")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django

LEADS = int(os.environ.get("BENCH_LIMIT_LEADS", "1000000"))
RUNS = int(os.environ.get("BENCH_LIMIT_RUNS", "1000"))
GOAL_ADDED_P95_MS = 2.0


def seed(schema: str, count: int) -> float:
    """`count` leads in one INSERT ... SELECT (the tally trigger counts them as it would a
    COPY), spread over two years and the pipeline's stages; then VACUUM ANALYZE."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        cursor.execute(
            "INSERT INTO crm_lead (first_name, last_name, email, phone, company, source,"
            " source_detail, tags, notes, custom_fields, stage_id, status, consent, created_at,"
            " updated_at)"
            " SELECT 'Ada', 'Lovelace', 'lead' || n || '@bench.example', '', '',"
            " (ARRAY['web_form','import','api','referral','social','ads','other'])[1 + n %% 7],"
            " '', '{}', '', '{}', (SELECT id FROM crm_pipelinestage ORDER BY id LIMIT 1 OFFSET"
            " n %% 6), 'new', true, now() - (n %% 730) * interval '1 day', now()"
            " FROM generate_series(1, %s) AS n",
            [count],
        )
        for table in ("crm_lead", "crm_leadtally", "crm_leadstagetally"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - started


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 0.5), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
        "mean_ms": round(sum(samples) / len(samples), 3),
    }


def main() -> None:
    prepare_django()
    from django.db import transaction
    from django_tenants.utils import tenant_context

    from crm.models import Lead
    from crm.services.leads import create_lead
    from tenants.limits import check_leads, lead_count
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench", slug="bench", owner_email="o@bench.example", owner_password="bench pass 1"
    )
    seeding_s = seed(workspace.schema_name, LEADS)
    limits = {"without_limit": None, "with_limit": LEADS * 10}
    samples: dict[str, list[float]] = {name: [] for name in limits}
    check_alone: list[float] = []
    made = 0

    def create(name: str) -> None:
        nonlocal made
        workspace.lead_limit = limits[name]
        with tenant_context(workspace):
            started = time.perf_counter()
            create_lead(actor=None, email=f"new{made}@bench.example", first_name="New")
            samples[name].append((time.perf_counter() - started) * 1000)
        made += 1

    for warm_up in range(20):
        create("with_limit" if warm_up % 2 else "without_limit")
    for name in samples:
        samples[name].clear()
    for run in range(RUNS):
        order = ("without_limit", "with_limit") if run % 2 else ("with_limit", "without_limit")
        for name in order:
            create(name)
    workspace.lead_limit = LEADS * 10
    with tenant_context(workspace):
        for _ in range(RUNS):
            started = time.perf_counter()
            with transaction.atomic():
                check_leads(adding=1)
            check_alone.append((time.perf_counter() - started) * 1000)
        counted, exact = lead_count(), Lead.objects.count()

    without, with_limit = summary(samples["without_limit"]), summary(samples["with_limit"])
    added_p95 = round(with_limit["p95_ms"] - without["p95_ms"], 3)
    print(
        json.dumps(
            {
                "benchmark": "limit_checks",
                "leads": LEADS,
                "runs_per_variant": RUNS,
                "seeding_s": round(seeding_s, 1),
                "method": "create_lead through the service in tenant_context, alternating "
                "pairs without and with a lead limit; the check alone in a transaction",
                "create_lead_without_limit": without,
                "create_lead_with_limit": with_limit,
                "check_leads_alone": summary(check_alone),
                "added_p95_ms": added_p95,
                "added_p50_ms": round(with_limit["p50_ms"] - without["p50_ms"], 3),
                "goal_added_p95_ms_max": GOAL_ADDED_P95_MS,
                "goal_met": added_p95 < GOAL_ADDED_P95_MS,
                "tally_count_equals_count_star": counted == exact,
                "machine": machine(),
                # p95s taken while other work runs are mostly the machine's: say how busy.
                "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
