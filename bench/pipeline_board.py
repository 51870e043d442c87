"""The pipeline board at 100,000 and 1,000,000 leads: server time of GET /pipeline/ (p50,
p95, unfiltered and by owner) and EXPLAIN ANALYZE of each statement it runs on crm_lead.
Prints one JSON object. Usage: python bench/pipeline_board.py [leads ...] (default 100000
1000000; each size adds leads to the same workspace)."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django

RUNS = 40
TAGS = ["webinar", "newsletter", "vip", "course-buyer", "cold", "referral", "podcast"]
# Where leads sit in a course creator's pipeline: most early, few won; some never staged.
STAGE_WEIGHTS = [40, 20, 15, 8, 7, 5]
NO_STAGE_SHARE = 0.05


def fill(schema: str, *, start: int, stop: int, stage_ids: list[int], owner_ids: list[int]) -> None:
    """Leads start..stop by COPY (set-up only), then ANALYZE and VACUUM as autovacuum would."""
    from django.db import connection

    rng = random.Random(start)
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        with cursor.cursor.copy(
            "COPY crm_lead (first_name, last_name, email, phone, company, source, source_detail,"
            " tags, notes, custom_fields, status, consent, created_at, updated_at, stage_id,"
            " owner_id) FROM STDIN"
        ) as copy:
            for i in range(start, stop):
                first = rng.choice(["Ada", "Grace", "Alan", "Linus", "Hedy", "Yuki", "Kofi"])
                stage = (
                    None
                    if rng.random() < NO_STAGE_SHARE
                    else rng.choices(stage_ids, weights=STAGE_WEIGHTS)[0]
                )
                created = "2026-01-01T00:00:00Z"
                copy.write_row(
                    (
                        first,
                        f"Surname{rng.randint(0, 9999)}",
                        f"{first.lower()}.{i}@bench.example",
                        "",
                        rng.choice(["Acme", "Globex", "Initech", "Umbrella", ""]),
                        "ads",
                        "",
                        sorted(set(rng.sample(TAGS, k=rng.randint(0, 2)))),
                        "",
                        "{}",
                        "new",
                        False,
                        created,
                        created,
                        stage,
                        rng.choice(owner_ids),
                    )
                )
        cursor.execute(
            "UPDATE crm_lead SET created_at = created_at + (id || ' seconds')::interval"
            " WHERE id > %s",
            [start],
        )
    connection.close()  # VACUUM cannot run inside the connection's transaction block
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        cursor.execute("VACUUM ANALYZE crm_lead")


def explain(schema: str, statement: str) -> dict[str, Any]:
    import os

    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as raw:
        raw.execute(f'SET search_path TO "{schema}", public')
        raw.execute(statement)  # warm
        row = raw.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}").fetchone()
    assert row is not None
    plan = row[0]
    top = plan[0]
    return {
        "sql": statement[:300],
        "execution_ms": round(top["Execution Time"], 2),
        "plan": _nodes(top["Plan"]),
    }


def _nodes(node: dict[str, Any]) -> list[str]:
    name = node["Node Type"]
    if "Index Name" in node:
        name += f" using {node['Index Name']}"
    rows = [f"{name} (rows={node.get('Actual Rows')})"]
    for child in node.get("Plans", []):
        rows += ["  " + line for line in _nodes(child)]
    return rows


def measure(client: Any, path: str, schema: str) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from django.db import connection

    from tests.support.query_counter import queries_run  # noqa: F401 (same idea, with params)

    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(connection.ops.compose_sql(sql, params))  # type: ignore[attr-defined]
        return execute(sql, params, many, context)

    for _ in range(3):
        client.get(path)
    with connection.execute_wrapper(record):
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    lead_sql = [s for s in statements if "crm_lead" in s]
    return {
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "statements": len(statements),
        "lead_statements": [explain(schema, s) for s in lead_sql],
    }


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [100_000, 1_000_000]
    prepare_django()
    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.services.users import create_user
    from crm.models import PipelineStage
    from tenants.services.provisioning import create_workspace

    password = "bench passphrase 1"
    workspace = create_workspace(
        name="Bench", slug="bench", owner_email="o@bench.example", owner_password=password
    )
    with schema_context(workspace.schema_name):
        for n in range(4):
            create_user(email=f"m{n}@bench.example", password=password, role="member")
        owner_ids = list(User.objects.values_list("pk", flat=True))
        stage_ids = list(PipelineStage.objects.order_by("order").values_list("pk", flat=True))
    client = Client(HTTP_HOST=workspace.primary_host)
    assert (
        client.post("/login/", {"email": "o@bench.example", "password": password}).status_code
        == 302
    )
    results: dict[str, Any] = {}
    done = 0
    for size in sizes:
        fill(workspace.schema_name, start=done, stop=size, stage_ids=stage_ids, owner_ids=owner_ids)
        done = size
        results[str(size)] = {
            "board": measure(client, "/pipeline/", workspace.schema_name),
            "board_by_owner": measure(
                client, f"/pipeline/?owner={owner_ids[1]}", workspace.schema_name
            ),
            "board_by_tag": measure(client, "/pipeline/?tag=vip", workspace.schema_name),
        }
    print(
        json.dumps(
            {
                "benchmark": "pipeline_board",
                "method": "in-process WSGI GET /pipeline/ with a signed-in session (full "
                "middleware and template); EXPLAIN ANALYZE of each crm_lead statement",
                "runs": RUNS,
                "goal_p95_ms_max": 150,
                "results": results,
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
