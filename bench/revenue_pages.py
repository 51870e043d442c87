"""Server time of the revenue reads at 0 and 100,000 payments (issue 11 items 8 and 9): the
dashboard with its revenue section, the Payments page (first page, a product, a status, a
page further on), GET /api/v1/payments, a campaign's results page and its stats.

The workspace gets 20,000 leads (bench/pages.py's seeding: sources, stages, messages), ten
products, five sent campaigns and then the payments by INSERT ... SELECT: paid over two
years with more of them recently, 70% USD, 20% EUR, 10% GBP, one in ten refunded in part or
whole, one in twenty failed or pending, a third credited to a campaign. Each page is asked
for through Django's test client with a signed-in session (every middleware, the template
rendered) and timed; the plans of the heaviest reads are printed beside them. At 0 payments
the dashboard has no revenue section: the baseline the section adds to. One JSON object on
stdout.

    .venv/bin/python bench/revenue_pages.py
    BENCH_REVENUE_PAYMENTS=0,20000,100000 .venv/bin/python bench/revenue_pages.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_revenue_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django
from leads_list import psycopg_connection
from pages import add_campaigns, seed

SIZES = [
    int(size) for size in os.environ.get("BENCH_REVENUE_PAYMENTS", "0,100000").split(",") if size
]
LEADS = int(os.environ.get("BENCH_REVENUE_LEADS", "20000"))
RUNS = int(os.environ.get("BENCH_REVENUE_RUNS", "30"))
PASSWORD = "bench passphrase 1"

PAGES = [
    ("dashboard_30_days", "/"),
    ("dashboard_90_days", "/?days=90"),
    ("payments_first_page", "/payments/"),
    ("payments_one_product", "/payments/?product={product}"),
    ("payments_refunded", "/payments/?status=refunded"),
    ("payments_last_quarter", "/payments/?paid_from={quarter_ago}"),
    ("payments_api_first_page", "/api/v1/payments?limit=50"),
    ("payments_api_one_currency", "/api/v1/payments?limit=200&currency=EUR"),
    ("campaign_results_page", "/campaigns/{campaign}/"),
    ("campaign_stats_api", "/api/v1/campaigns/{campaign}/stats"),
]


def seed_payments(schema: str, *, start: int, count: int) -> None:
    """`count` more payments, each with its own Stripe ids, by one INSERT ... SELECT."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path TO "{schema}", public')
        cursor.execute("SELECT min(id), max(id) FROM crm_lead")
        low, high = cursor.fetchone()
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM crm_product")
        products = cursor.fetchone()[0]
        cursor.execute("SELECT array_agg(id ORDER BY id) FROM outreach_campaign")
        campaigns = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO payments_payment (lead_id, product_id, campaign_id, amount, currency,
              refunded_amount, status, customer_email, stripe_checkout_session_id,
              stripe_payment_intent_id, stripe_invoice_id, stripe_charge_id,
              stripe_payment_link_id, stripe_subscription_id, dispute_status, paid_at,
              created_at, updated_at)
            SELECT %(low)s + (n * 7919) %% (%(high)s - %(low)s + 1),
              (%(products)s::bigint[])[1 + n %% array_length(%(products)s::bigint[], 1)],
              CASE WHEN n %% 3 = 0 THEN
                (%(campaigns)s::bigint[])[1 + n %% array_length(%(campaigns)s::bigint[], 1)]
              END,
              amount, currency,
              CASE WHEN n %% 10 = 1 THEN amount / 4 WHEN n %% 10 = 2 THEN amount ELSE 0 END,
              CASE WHEN n %% 10 = 1 THEN 'partially_refunded' WHEN n %% 10 = 2 THEN 'refunded'
                WHEN n %% 20 = 3 THEN 'failed' WHEN n %% 20 = 13 THEN 'pending'
                ELSE 'paid' END,
              'buyer' || n || '@bench.example', 'cs_bench_' || n, 'pi_bench_' || n, NULL,
              'ch_bench_' || n, '', '', '',
              now() - interval '730 days' * power(random(), 1.5), now(), now()
            FROM (
              SELECT n, (1000 + (n * 104729) %% 200000)::bigint AS amount,
                (ARRAY['USD','USD','USD','USD','USD','USD','USD','EUR','EUR','GBP'])[1 + n %% 10]
                  AS currency
              FROM generate_series(%(start)s::bigint, %(end)s::bigint) AS n
            ) AS generated
            """,
            {
                "low": low,
                "high": high,
                "products": products,
                "campaigns": campaigns,
                "start": start,
                "end": start + count - 1,
            },
        )
        cursor.execute("VACUUM ANALYZE payments_payment")


def plans(raw: Any) -> dict[str, str]:
    """The top line of EXPLAIN ANALYZE of the revenue section's two heaviest reads."""
    statements = {
        "monthly_12": "SELECT width_bucket(paid_at, (SELECT array_agg(m) FROM "
        "generate_series(date_trunc('month', now()) - interval '11 months', "
        "date_trunc('month', now()) + interval '1 month', interval '1 month') AS m)), "
        "currency, sum(amount - refunded_amount) FROM payments_payment WHERE status IN "
        "('paid', 'partially_refunded') AND paid_at >= date_trunc('month', now()) - "
        "interval '11 months' GROUP BY 1, 2",
        "by_source_90_days": "SELECT l.source, p.currency, sum(p.amount - p.refunded_amount),"
        " count(*) FROM payments_payment p LEFT JOIN crm_lead l ON l.id = p.lead_id WHERE "
        "p.status IN ('paid', 'partially_refunded') AND p.paid_at >= now() - interval "
        "'90 days' GROUP BY 1, 2",
    }
    found = {}
    for name, statement in statements.items():
        rows = raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}").fetchall()
        text = [row[0] for row in rows]
        found[name] = " | ".join(
            line.strip() for line in text if "Scan" in line or "Execution Time" in line
        )
    return found


def measure(client: Any, paths: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, path in paths.items():
        first = client.get(path)
        assert first.status_code == 200, (path, first.status_code, first.content[:300])
        for _ in range(3):
            client.get(path)
        samples = []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        results[name] = {
            "path": path,
            "p50_ms": round(percentile(samples, 0.5), 2),
            "p95_ms": round(percentile(samples, 0.95), 2),
        }
    return results


def main() -> None:
    started_all = time.perf_counter()
    prepare_django()
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import User
    from crm.models import Product
    from outreach.models import Campaign
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench", slug="bench", owner_email="o@bench.example", owner_password=PASSWORD
    )
    schema = workspace.schema_name
    with schema_context(schema):
        owners = list(User.objects.values_list("id", flat=True))
        for n in range(10):
            Product.objects.create(name=f"Product {n}", price=100 + n)
    seed(schema, start=0, count=LEADS, owners=owners)
    add_campaigns(schema)
    with schema_context(schema):
        product = Product.objects.order_by("id").values_list("id", flat=True).first()
        campaign = Campaign.objects.order_by("id").values_list("id", flat=True).first()
    client = Client(HTTP_HOST=workspace.primary_host)
    assert (
        client.post("/login/", {"email": "o@bench.example", "password": PASSWORD}).status_code
        == 302
    )
    token = client.post(
        "/api/v1/auth/token",
        {"email": "o@bench.example", "password": PASSWORD},
        content_type="application/json",
    ).json()["access_token"]
    raw = psycopg_connection(schema)
    quarter_ago = (timezone.now() - timedelta(days=90)).date().isoformat()
    paths = {
        name: path.format(product=product, campaign=campaign, quarter_ago=quarter_ago)
        for name, path in PAGES
    }
    report: dict[str, Any] = {}
    seeded = 0
    for size in SIZES:
        started = time.perf_counter()
        seed_payments(schema, start=seeded + 1, count=size - seeded)
        seeding_s = time.perf_counter() - started
        seeded = size
        api_client = Client(HTTP_HOST=workspace.primary_host, HTTP_AUTHORIZATION=f"Bearer {token}")
        pages = {k: v for k, v in paths.items() if "/api/" not in v}
        apis = {k: v for k, v in paths.items() if "/api/" in v}
        report[str(size)] = {
            "seeding_s": round(seeding_s, 1),
            **measure(client, pages),
            **measure(api_client, apis),
            "plans": plans(raw),
        }
    print(
        json.dumps(
            {
                "benchmark": "revenue_pages",
                "runs_per_page": RUNS,
                "leads": LEADS,
                "method": "in-process requests through Django's test client (signed-in "
                "session for pages, bearer token for the API; all middleware, templates "
                "rendered), after 3 warm-up requests each",
                "sizes_payments": report,
                "goal_p95_ms_max": 150,
                "machine": machine(),
                "duration_s": round(time.perf_counter() - started_all, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
