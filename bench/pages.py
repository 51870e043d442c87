"""Server time of the workspace's main pages at 100,000 and then 1,000,000 leads.

Each page is requested in-process through Django's test client (every middleware, a signed-in
session, the template rendered) and timed; beside it, in the same run, the baseline: the
SQL of the dashboard's old numbers (the summary that counted every lead: a count(*) and
counts by source, status and stage) run raw through psycopg. Figures are p50/p95 in ms and
ratios to that baseline, and how each grows from 100k to 1M. A page that answers 404 (one
not built yet) is reported as missing. Prints one JSON object.

    .venv/bin/python bench/pages.py            # 100k then 1M (a few minutes of seeding)
    BENCH_PAGES_SIZES=20000,100000 .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_dash")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/2")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django
from leads_list import psycopg_connection

SIZES = [int(size) for size in os.environ.get("BENCH_PAGES_SIZES", "100000,1000000").split(",")]
RUNS = int(os.environ.get("BENCH_PAGES_RUNS", "40"))
PASSWORD = "bench passphrase 1"

# (name, path): add a page here. {lead} is a lead's id, {stage} a stage's.
PAGES = [
    ("dashboard_30_days", "/"),
    ("dashboard_90_days", "/?days=90"),
    ("leads_first_page", "/leads/"),
    ("leads_filter_status", "/leads/?status=customer"),
    ("leads_filter_tag", "/leads/?tag=vip"),
    ("leads_search", "/leads/?q=hopper"),
    ("lead_page", "/leads/{lead}/"),
    ("pipeline_board", "/pipeline/"),
]

BASELINE_SQL = [
    "SELECT count(*) FROM crm_lead",
    "SELECT count(*) FILTER (WHERE status = 'customer') FROM crm_lead",
    "SELECT source, count(*) FROM crm_lead GROUP BY source",
    "SELECT status, count(*) FROM crm_lead GROUP BY status",
    "SELECT stage_id, count(*) FROM crm_lead GROUP BY stage_id",
]

FIRST = ["Ada", "Grace", "Alan", "Linus", "Hedy", "Yuki", "Kofi", "Priya", "Mateo", "Leila"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Lamarr", "Tanaka", "Okafor", "Patel"]
COMPANIES = ["", "", "Acme", "Globex", "Initech", "Umbrella", "Studio North", "Calm Mornings"]
TAGS = ["webinar", "newsletter", "vip", "course-buyer", "cold", "referral", "podcast", "waitlist"]
SOURCES = (
    ["web_form", "import", "api", "referral", "social", "ads", "other"],
    [30, 15, 5, 15, 15, 15, 5],
)
# Stage name -> the status a lead in it has; weights are the share of leads in each stage.
STAGES = {
    "New": "new",
    "Contacted": "contacted",
    "Qualified": "qualified",
    "Proposal": "qualified",
    "Won": "customer",
    "Lost": "lost",
}
STAGE_WEIGHTS = [40, 22, 14, 8, 8, 8]
HISTORY_DAYS = 730


def _lead_indexes(cursor: Any) -> list[tuple[str, str]]:
    """crm_lead's plain indexes (not those of its keys), dropped while COPY runs."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'crm_lead' "
        "AND schemaname = current_schema() AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'crm_lead'::regclass)"
    )
    return list(cursor.fetchall())


def seed(schema: str, *, start: int, count: int, owners: list[int]) -> None:
    """`count` more leads by COPY (tallies kept by their trigger), created over two years with
    more of them recently, each with a stage and the status that goes with it; then about one
    message per lead and a task for one lead in five, by INSERT ... SELECT."""
    from django.db import connection

    rng = random.Random(start)
    now = time.time()
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        cursor.execute("SELECT name, id FROM crm_pipelinestage")
        stage_ids = dict(cursor.fetchall())
        stages = list(STAGES)
        indexes = _lead_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SELECT coalesce(max(id), 0) FROM crm_lead")
        first_new_id = cursor.fetchone()[0] + 1
        with cursor.cursor.copy(
            "COPY crm_lead (first_name, last_name, email, phone, company, source, source_detail,"
            " tags, notes, custom_fields, owner_id, stage_id, status, consent, created_at,"
            " updated_at) FROM STDIN"
        ) as copy:
            for index in range(start, start + count):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                stage = rng.choices(stages, weights=STAGE_WEIGHTS)[0]
                created = now - HISTORY_DAYS * 86400 * rng.random() ** 1.5
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
                copy.write_row(
                    (
                        first,
                        last,
                        f"{first.lower()}.{last.lower()}.{index}@bench.example",
                        "",
                        rng.choice(COMPANIES),
                        rng.choices(*SOURCES)[0],
                        "",
                        sorted(set(rng.sample(TAGS, k=rng.randint(0, 3)))),
                        "",
                        "{}",
                        rng.choice(owners),
                        stage_ids[stage],
                        STAGES[stage],
                        rng.random() < 0.8,
                        stamp,
                        stamp,
                    )
                )
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute(
            "INSERT INTO crm_message (lead_id, channel, direction, subject, body, status,"
            " provider_id, occurred_at, created_at, to_email, error_code, error, open_count,"
            " click_count)"
            " SELECT id, (ARRAY['email','call','meeting','note'])[1 + (id %% 4)], 'outbound',"
            " 'Following up', 'Sent the syllabus.', 'sent', '',"
            " least(created_at + (id %% 20) * interval '1 day', now()), now(), '', 0, '', 0, 0"
            " FROM crm_lead, generate_series(1, 1 + (id %% 3) / 2) WHERE id >= %s",
            [first_new_id],
        )
        cursor.execute(
            "INSERT INTO crm_task (title, notes, due_at, assignee_id, lead_id, done_at,"
            " created_at)"
            " SELECT 'Call back', '', now() + ((id %% 30) - 10) * interval '1 day', owner_id, id,"
            " CASE WHEN id %% 10 < 6 THEN now() END, created_at"
            " FROM crm_lead WHERE id >= %s AND id %% 5 = 0",
            [first_new_id],
        )
        # Set the visibility map too, as autovacuum would soon: counts become index-only.
        for table in ("crm_lead", "crm_message", "crm_task", "crm_leadtally"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def add_campaigns(schema: str) -> None:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from outreach.models import Campaign

    with schema_context(schema):
        if Campaign.objects.exists():
            return
        for index, name in enumerate(
            ["Spring cohort", "Free guide", "Webinar replay", "Black Friday", "Masterclass invite"]
        ):
            sent = 20_000 + 5_000 * index
            Campaign.objects.create(
                name=name,
                subject=name,
                status=Campaign.Status.SENT,
                started_at=timezone.now() - timedelta(days=7 * (5 - index)),
                finished_at=timezone.now() - timedelta(days=7 * (5 - index)),
                sent_count=sent,
                delivered_count=sent,
                opened_count=sent * (40 + index) // 100,
                clicked_count=sent * (5 + index) // 100,
            )


def measure(client: Any, raw: Any, paths: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    baseline = []
    for _ in range(max(5, RUNS // 4)):
        started = time.perf_counter()
        for statement in BASELINE_SQL:
            raw.execute(statement).fetchall()
        baseline.append((time.perf_counter() - started) * 1000)
    baseline_p95 = percentile(baseline, 0.95)
    results["baseline_old_summary_sql"] = {
        "p50_ms": round(percentile(baseline, 0.5), 2),
        "p95_ms": round(baseline_p95, 2),
    }
    for name, path in paths.items():
        first = client.get(path)
        if first.status_code == 404:
            results[name] = {"path": path, "missing": True}
            continue
        assert first.status_code == 200, (path, first.status_code)
        for _ in range(3):
            client.get(path)
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        p95 = percentile(samples, 0.95)
        results[name] = {
            "path": path,
            "p50_ms": round(percentile(samples, 0.5), 2),
            "p95_ms": round(p95, 2),
            "ratio_p95_to_baseline": round(p95 / baseline_p95, 3),
        }
    return results


def main() -> None:
    prepare_django()
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.services.users import create_user
    from crm.models import Lead, PipelineStage
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench", slug="bench", owner_email="o@bench.example", owner_password=PASSWORD
    )
    schema = workspace.schema_name
    with schema_context(schema):
        for n in range(4):
            create_user(email=f"m{n}@bench.example", password=PASSWORD, role="member")
        owners = list(User.objects.values_list("id", flat=True))
    add_campaigns(schema)
    client = Client(HTTP_HOST=workspace.primary_host)
    assert (
        client.post("/login/", {"email": "o@bench.example", "password": PASSWORD}).status_code
        == 302
    )
    raw = psycopg_connection(schema)
    report: dict[str, Any] = {}
    seeded = 0
    for size in SIZES:
        started = time.perf_counter()
        seed(schema, start=seeded, count=size - seeded, owners=owners)
        seeding_s = time.perf_counter() - started
        seeded = size
        with schema_context(schema):
            lead = Lead.objects.order_by("-created_at").values_list("id", flat=True)[500]
            stage = PipelineStage.objects.values_list("id", flat=True).first()
        paths = {name: path.format(lead=lead, stage=stage) for name, path in PAGES}
        report[str(size)] = {"seeding_s": round(seeding_s, 1), **measure(client, raw, paths)}
    growth = {}
    if len(SIZES) > 1:
        small, large = report[str(SIZES[0])], report[str(SIZES[-1])]
        for name in ["baseline_old_summary_sql", *(name for name, _ in PAGES)]:
            if "p95_ms" in small[name] and "p95_ms" in large[name]:
                growth[name] = round(large[name]["p95_ms"] / small[name]["p95_ms"], 2)
            else:
                growth[name] = "missing"
    print(
        json.dumps(
            {
                "benchmark": "pages",
                "runs_per_page": RUNS,
                "method": "in-process requests through Django's test client with a signed-in "
                "session (all middleware, templates rendered); baseline: the old summary's SQL "
                "(count(*) and counts by source, status and stage over every lead) through "
                "psycopg",
                "sizes": report,
                f"growth_p95_{SIZES[0]}_to_{SIZES[-1]}": growth,
                "goal_p95_ms_max_at_1M": 150,
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
