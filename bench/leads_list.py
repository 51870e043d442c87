"""GET /api/v1/leads at 100,000 leads: p50/p95 of four queries, each beside the same SQL
run raw through psycopg (the baseline of the ratio). Prints one JSON object."""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django

LEADS = 100_000
RUNS = 60
TAGS = ["webinar", "newsletter", "vip", "course-buyer", "cold", "referral", "podcast"]


def fill(schema: str) -> None:
    """100,000 leads by COPY (set-up only; the import benchmark times the real import)."""
    from django.db import connection

    rng = random.Random(7)
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        with cursor.cursor.copy(
            "COPY crm_lead (first_name, last_name, email, phone, company, source, source_detail,"
            " tags, notes, custom_fields, status, consent, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(LEADS):
                first = rng.choice(["Ada", "Grace", "Alan", "Linus", "Hedy", "Yuki", "Kofi"])
                last = f"Surname{rng.randint(0, 9999)}"
                created = "2026-01-01T00:00:00Z"
                copy.write_row(
                    (
                        first,
                        last,
                        f"{first.lower()}.{i}@bench.example",
                        "",
                        rng.choice(["Acme", "Globex", "Initech", "Umbrella", ""]),
                        rng.choice(["ads", "web_form", "referral"]),
                        "",
                        sorted(set(rng.sample(TAGS, k=rng.randint(0, 2)))),
                        "",
                        "{}",
                        "new",
                        False,
                        created,
                        created,
                    )
                )
        cursor.execute(
            "UPDATE crm_lead SET created_at = created_at + (id || ' seconds')::interval,"
            " updated_at = created_at + (id || ' seconds')::interval"
        )
        cursor.execute("ANALYZE crm_lead")


def main() -> None:
    prepare_django()
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.services.api_auth import create_api_key
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench",
        slug="bench",
        owner_email="o@bench.example",
        owner_password="bench passphrase 1",
    )
    fill(workspace.schema_name)
    with schema_context(workspace.schema_name):
        key = create_api_key(actor=User.objects.get(), name="bench").secret
    client = Client(HTTP_HOST=workspace.primary_host, HTTP_AUTHORIZATION=f"Bearer {key}")

    # The 400th page: walk there once by cursor (limit 50), then time fetching it.
    cursor = ""
    for _ in range(399):
        cursor = client.get(f"/api/v1/leads?limit=50&cursor={cursor}").json()["next"]
    cases = {
        "first_page": "/api/v1/leads?limit=50",
        "tag_filter": "/api/v1/leads?limit=50&tag=vip",
        "search_q": "/api/v1/leads?limit=50&q=globex",
        "page_400_by_cursor": f"/api/v1/leads?limit=50&cursor={cursor}",
    }
    raw = psycopg_connection(workspace.schema_name)
    results: dict[str, Any] = {}
    for name, path in cases.items():
        for _ in range(5):  # warm caches and the plan cache
            client.get(path)
        with queries_run() as statements:
            client.get(path)
        lead_sql = [statement for statement in statements if "crm_lead" in statement][-1]
        api_ms, raw_ms = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(path)
            api_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
            started = time.perf_counter()
            raw.execute(lead_sql).fetchall()
            raw_ms.append((time.perf_counter() - started) * 1000)
        results[name] = {
            "api_p50_ms": round(percentile(api_ms, 0.5), 2),
            "api_p95_ms": round(percentile(api_ms, 0.95), 2),
            "raw_sql_p50_ms": round(percentile(raw_ms, 0.5), 2),
            "raw_sql_p95_ms": round(percentile(raw_ms, 0.95), 2),
            "ratio_p50": round(percentile(api_ms, 0.5) / percentile(raw_ms, 0.5), 2),
            "ratio_p95": round(percentile(api_ms, 0.95) / percentile(raw_ms, 0.95), 2),
            "rows": len(response.json()["items"]),
        }
    worst_p95 = max(case["api_p95_ms"] for case in results.values())
    print(
        json.dumps(
            {
                "benchmark": "leads_list",
                "leads": LEADS,
                "runs_per_case": RUNS,
                "method": "in-process WSGI requests (full middleware, API-key auth) vs "
                "the same SQL "
                "executed and fetched through a separate psycopg connection",
                "cases": results,
                "goal_p95_ms_max": 50,
                "goal_ratio_max": 3,
                "goal_p95_met": worst_p95 < 50,
                "goal_ratio_met": all(case["ratio_p50"] <= 3 for case in results.values()),
                "machine": machine(),
            },
            indent=2,
        )
    )


@contextmanager
def queries_run() -> Iterator[list[str]]:
    """Every statement a block runs, with its parameters filled in."""
    from django.db import connection

    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(cast(Any, connection.ops).compose_sql(sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


def psycopg_connection(schema: str) -> Any:
    import os

    import psycopg

    raw = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    raw.execute(f'SET search_path TO "{schema}", public')
    return raw


if __name__ == "__main__":
    main()
