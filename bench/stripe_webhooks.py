"""Stripe webhook processing: 10,000 signed Connect `checkout.session.completed` events, 10%
of them re-sent duplicates (the same event id again), delivered concurrently by 8 client
threads to the app under gunicorn (or to `--url`, a server you started on this database).

Each distinct event is one lead's paid Checkout in the workspace's connected account: half
name an existing lead in their metadata, half come from an address that is not a lead yet
(the payment creates the lead). Every event goes through the whole front door: the stripe
library's signature check, the event id claimed, the payment upserted, the lead made a
customer, the event-log rows and the campaign attribution, in one transaction.

Beside it, in the same run and against the same server, the baseline: the same 10,000
requests with a wrong signature (the bare signature check through the same middleware,
answered 400 before any write), and GET /healthz. Printed: events/s, p50/p95 latency, the
ratios to the baseline, and the count of payments recorded, which must equal the distinct
events (asserted, and both printed). Prints one JSON object.

    .venv/bin/python bench/stripe_webhooks.py
    BENCH_STRIPE_EVENTS=2000 BENCH_STRIPE_CLIENTS=4 .venv/bin/python bench/stripe_webhooks.py
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_stripe")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django  # noqa: E402

EVENTS = int(os.environ.get("BENCH_STRIPE_EVENTS", "10000"))
DUPLICATE_SHARE = 0.10
CLIENTS = int(os.environ.get("BENCH_STRIPE_CLIENTS", "8"))
CONNECT_SECRET = "whsec_bench_connect"
ACCOUNT = "acct_bench_connected"
APEX = "localhost"


def signature(payload: str) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.support.stripe_double import signature_header

    return signature_header(payload, CONNECT_SECRET)


def build_events(*, lead_ids: list[int], product_id: int) -> tuple[list[dict[str, Any]], int]:
    """The deliveries in the order they are sent, and how many distinct events they hold.
    Each duplicate is sent a short while after its original, so that many of them race it."""
    rng = random.Random(11)
    distinct = EVENTS - int(EVENTS * DUPLICATE_SHARE)
    now = int(time.time())
    events = []
    for n in range(distinct):
        metadata = {"product_id": str(product_id)}
        email = f"payer{n}@bench.example"
        if n % 2 == 0:
            metadata["lead_id"] = str(lead_ids[n // 2 % len(lead_ids)])
            email = ""
        session = {
            "id": f"cs_bench_{n:06d}",
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 4900,
            "currency": "usd",
            "payment_intent": f"pi_bench_{n:06d}",
            "customer_details": {"email": email or f"lead{n}@bench.example", "name": "Bench Payer"},
            "metadata": metadata,
            "created": now,
        }
        events.append(
            {
                "id": f"evt_bench_{n:06d}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": now,
                "account": ACCOUNT,
                "livemode": False,
                "data": {"object": session},
            }
        )
    order: list[dict[str, Any]] = list(events)
    for original in rng.sample(events, EVENTS - distinct):
        at = order.index(original) + rng.randint(1, 24)
        order.insert(min(at, len(order)), original)
    return order, distinct


def deliver(base_url: str, payloads: list[str], *, sign: bool) -> dict[str, Any]:
    """POST every payload from CLIENTS threads (one keep-alive session each); the answers'
    latencies, statuses and outcomes, and the wall time."""
    import requests

    work: queue.Queue[str] = queue.Queue()
    for payload in payloads:
        work.put(payload)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while True:
            try:
                payload = work.get_nowait()
            except queue.Empty:
                return
            header = signature(payload) if sign else "t=1,v1=" + "0" * 64
            started = time.perf_counter()
            response = session.post(
                f"{base_url}/webhooks/stripe",
                data=payload.encode(),
                headers={"Host": APEX, "Content-Type": "application/json",
                         "Stripe-Signature": header},
                timeout=60,
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            outcome = response.json().get("outcome", "") if response.status_code == 200 else ""
            with lock:
                latencies.append(elapsed * 1000)
                statuses[response.status_code] += 1
                outcomes[outcome or f"http_{response.status_code}"] += 1

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "statuses": dict(statuses),
        "outcomes": dict(outcomes),
    }


def health(base_url: str, count: int) -> dict[str, Any]:
    import requests

    session = requests.Session()
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        session.get(f"{base_url}/healthz", headers={"Host": APEX}, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
    return {
        "requests": count,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
    }


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_ENV": "dev",
        "DEBUG": "false",  # as in production: no query log kept in memory
        "LOG_LEVEL": "WARNING",
        "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_SECRET,
        "STRIPE_WEBHOOK_SECRET": "whsec_bench_platform",
    }
    log = (ROOT / "bench" / "results").resolve()
    log.mkdir(parents=True, exist_ok=True)
    with (log / "stripe_webhooks_server.log").open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "project.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
             "--worker-class", "gthread", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": APEX}, timeout=2)
            return process
        except requests.ConnectionError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start; see bench/results/stripe_webhooks_server.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a server already running on this DATABASE_URL")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--keep-database", action="store_true", help="leave it for inspection")
    args = parser.parse_args()
    prepare_django()
    from django_tenants.utils import schema_context

    from billing.models import ConnectAccount, StripeEvent
    from billing.payments.models import Payment
    from crm.models import Lead, Product
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench Coaching", slug="bench", owner_email="o@bench.example",
        owner_password="bench passphrase 1",
    )  # fmt: skip
    ConnectAccount.objects.create(
        workspace=workspace, stripe_account_id=ACCOUNT, charges_enabled=True,
        payouts_enabled=True, details_submitted=True,
    )  # fmt: skip
    with schema_context(workspace.schema_name):
        product = Product.objects.create(name="Spring cohort", price="49.00", currency="USD")
        leads = Lead.objects.bulk_create(
            Lead(email=f"known{n}@bench.example", first_name="Known") for n in range(2000)
        )
    events, distinct = build_events(lead_ids=[lead.pk for lead in leads], product_id=product.pk)
    payloads = [json.dumps(event) for event in events]

    server = None if args.url else start_server(args.port)
    base_url = args.url or f"http://127.0.0.1:{args.port}"
    try:
        deliver(base_url, payloads[:200], sign=False)  # warm both processes up
        baseline = deliver(base_url, payloads, sign=False)
        healthz = health(base_url, 500)
        webhooks = deliver(base_url, payloads, sign=True)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    with schema_context(workspace.schema_name):
        payments = Payment.objects.count()
        customers = Lead.objects.filter(status="customer").count()
    claimed = StripeEvent.objects.filter(account=ACCOUNT).count()
    document = {
        "benchmark": "stripe_webhooks",
        "method": f"{len(payloads)} signed Connect checkout.session.completed deliveries "
        f"({distinct} distinct events, {len(payloads) - distinct} re-sent duplicates), "
        f"POSTed by {CLIENTS} client threads with keep-alive to "
        + (args.url or "gunicorn (2 workers x 4 threads, gthread)")
        + "; baseline: the same requests with a wrong signature (400 after the signature "
        "check, no write) against the same server",
        "deliveries": len(payloads),
        "distinct_events": distinct,
        "duplicates_sent": len(payloads) - distinct,
        "payments_recorded": payments,
        "payments_equal_distinct_events": payments == distinct,
        "events_claimed": claimed,
        "leads_now_customers": customers,
        "webhooks": webhooks,
        "baseline_signature_check": baseline,
        "baseline_healthz_sequential": healthz,
        "ratio_p50_to_signature_check": round(webhooks["p50_ms"] / baseline["p50_ms"], 2),
        "ratio_p95_to_signature_check": round(webhooks["p95_ms"] / baseline["p95_ms"], 2),
        "ratio_throughput_to_signature_check": round(
            webhooks["per_second"] / baseline["per_second"], 3
        ),
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not args.keep_database:
        from bench_support import drop_database

        drop_database()
    assert payments == distinct, f"{payments} payments for {distinct} distinct events"
    assert claimed == distinct, f"{claimed} events claimed for {distinct} distinct events"


if __name__ == "__main__":
    main()
