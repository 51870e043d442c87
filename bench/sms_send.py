"""A 100,000-lead SMS campaign sent to the Twilio double on the loopback address by a real
Celery worker with 2 processes: texts per second end to end (from the send request, audience
freeze included, to the last text the double accepted) and each worker process's peak
memory. Beside it, the double's own ceiling: texts posted straight through the same gateway
(sms.gateway.send_sms, the official twilio client) by 2 processes with as many threads each
as a sender uses, which is the ratio's baseline.

Run from the repository root: `python bench/sms_send.py [--recipients N]` (prints one JSON
object). The Twilio sender's rate is at its maximum (1,000 texts a second, Twilio's own
ceiling for a short code or messaging service) and quiet hours are lifted (0-24) so the
figure does not depend on the time of day it runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_sms")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/8")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from campaign_send import PeakMemory, start_send_worker, wait_for_campaign  # noqa: E402
from crm_setup import machine, on_unlimited_plan, prepare_django  # noqa: E402

WORKER_PROCESSES = 2
QUEUE = "bench-sms-send"
TEXT = (
    "Hi {{ lead.first_name | default: 'there' }}, the spring cohort opens Monday: "
    "{{ workspace.name }}."
)
SEND_RATE = 1000  # sms.models.MAX_SEND_RATE


# --- the double, as a process of its own -------------------------------------------------


def serve_double() -> None:
    """Child process: the Twilio double with one account; prints its URL, SID and token,
    then answers "stats" lines on stdin with a JSON line."""
    sys.path.insert(0, str(ROOT))
    from tests.support.twilio_double import twilio_double

    with twilio_double() as double:
        account = double.add_account()
        print(json.dumps({"url": double.url, "sid": account.sid, "token": account.auth_token}))
        sys.stdout.flush()

        def trim() -> None:  # what each request carried is not needed here: keep memory flat
            while True:
                time.sleep(1)
                with double.lock:
                    double.requests.clear()

        threading.Thread(target=trim, daemon=True).start()
        for line in sys.stdin:
            if line.strip() != "stats":
                continue
            with double.lock:
                texts = list(double.messages.values())
            print(
                json.dumps(
                    {
                        "accepted": len(texts),
                        "distinct_recipients": len({text["to"] for text in texts}),
                        "last_accepted_wall": max((t["_created"] for t in texts), default=0.0),
                    }
                )
            )
            sys.stdout.flush()


class Double:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-double"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        first = json.loads(self.process.stdout.readline())
        self.url, self.sid, self.token = first["url"], first["sid"], first["token"]

    def stats(self) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)


# --- data ----------------------------------------------------------------------------------


def seed(workspace_schema: str, recipients: int) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(workspace_schema), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_lead (first_name, last_name, email, phone, company, source,
                source_detail, tags, notes, custom_fields, status, consent, created_at,
                updated_at, sms_consent, sms_consent_source, sms_consent_at)
            SELECT (ARRAY['Ada','Grace','Alan','Linus','Hedy','Yuki','Kofi'])[1 + i %% 7],
                'Surname' || i, NULL, '+1415' || (2000000 + i)::text,
                (ARRAY['Acme','Globex','','Initech'])[1 + i %% 4], 'web_form', '',
                ARRAY['webinar'], '', '{}'::jsonb, 'new', true, now(), now(),
                'opted_in', 'web_form', now()
            FROM generate_series(1, %s) AS i
            """,
            [recipients],
        )


# --- the ceiling ---------------------------------------------------------------------------


def baseline_sender(url: str, sid: str, token: str, count: int, threads: int, results: Any) -> None:
    """One client process texting through the gateway as fast as the double answers."""
    sys.path.insert(0, str(ROOT))
    os.environ["TWILIO_API_BASE"] = url
    import django

    django.setup()
    from sms import gateway
    from sms.gateway import Sms, TwilioCredentials, send_sms

    gateway._clients.clear()  # never a connection pool inherited from the parent process

    credentials = TwilioCredentials(sid, sid, token)
    started = time.perf_counter()
    pid = os.getpid() % 1000

    def one(i: int) -> None:
        send_sms(
            credentials,
            Sms(
                to=f"+1415{7000000 + (pid % 100) * 10000 + i % 10000}",
                body="Hi Ada, the spring cohort opens Monday: Bench Coaching.",
                from_number="+14155550100",
                status_callback="http://bench.localhost:8000/webhooks/twilio/status?message=1",
            ),
        )

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(count)))
    results.put(time.perf_counter() - started)


def measure_ceiling(double: Double, count: int, threads: int) -> dict[str, float]:
    before = double.stats()["accepted"]
    results: Any = multiprocessing.Queue()
    senders = [
        multiprocessing.Process(
            target=baseline_sender,
            args=(
                double.url,
                double.sid,
                double.token,
                count // WORKER_PROCESSES,
                threads,
                results,
            ),
        )
        for _ in range(WORKER_PROCESSES)
    ]
    started = time.time()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    stats = double.stats()
    sent = int(stats["accepted"] - before)
    seconds = stats["last_accepted_wall"] - started
    return {
        "messages": sent,
        "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds),
        "threads_per_process": threads,
    }


# --- the run ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument(
        "--ceiling-messages",
        type=int,
        default=20_000,
        help="texts for the double's ceiling (a rate: fewer than the campaign is enough)",
    )
    args = parser.parse_args()
    recipients = args.recipients
    began = time.time()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    double = Double()
    os.environ["TWILIO_API_BASE"] = double.url
    prepare_django()
    from django.conf import settings
    from django_tenants.utils import schema_context

    from crm.models import Message
    from outreach.models import Campaign
    from outreach.services.campaign_sending import send_campaign
    from outreach.services.campaigns import create_campaign
    from project.celery import app
    from sms.services.account import SmsAccountInput, connect_sms_account
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench Coaching",
        slug="bench",
        owner_email="o@bench.example",
        owner_password="bench passphrase 1",
    )
    on_unlimited_plan(workspace)
    seed(workspace.schema_name, recipients)
    with schema_context(workspace.schema_name):
        connect_sms_account(
            actor=None,
            data=SmsAccountInput(
                account_sid=double.sid,
                auth_token=double.token,
                phone_number="+14155550100",
                send_rate=SEND_RATE,
            ),
        )
        campaign = create_campaign(
            actor=None, name="Spring cohort texts", channel="sms", body_template=TEXT
        )

    env = {
        **os.environ,
        "DJANGO_ENV": "dev",
        "DEBUG": "false",  # as in production: no query log kept in memory
        "TWILIO_API_BASE": double.url,
        "CRM_CELERY_QUEUE": QUEUE,
        "CRM_SEND_PARALLEL": str(WORKER_PROCESSES),
        "CRM_SMS_SENDING_FROM_HOUR": "0",
        "CRM_SMS_SENDING_UNTIL_HOUR": "24",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    worker, log_name = start_send_worker(env, queue=QUEUE, log="sms_send_worker.log")
    try:
        memory = PeakMemory(worker.pid)
        memory.start()
        app.conf.task_default_queue = QUEUE
        with schema_context(workspace.schema_name):
            started = time.time()
            send_campaign(actor=None, campaign_id=campaign.pk)
            row = wait_for_campaign(
                campaign.pk,
                done=(Campaign.Status.SENT, Campaign.Status.PAUSED),
                seconds=3600,
                log_name=log_name,
            )
            finished = time.time()
            memory.stop.set()
            stats = double.stats()
            frozen = (
                (row.frozen_at - row.started_at).total_seconds()
                if row.frozen_at and row.started_at
                else None
            )
            sent_messages = Message.objects.filter(campaign=campaign, status="sent").count()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    threads = settings.CRM_SMS_SEND_THREADS
    ceiling = measure_ceiling(double, min(args.ceiling_messages, recipients), threads)
    double.stop()

    end_to_end_seconds = stats["last_accepted_wall"] - started
    rate = recipients / end_to_end_seconds
    pool = [peak for pid, peak in memory.peaks.items() if memory.roles.get(pid) == "pool"]
    main_peak = max(
        (peak for pid, peak in memory.peaks.items() if memory.roles.get(pid) == "main"), default=0
    )
    document = {
        "benchmark": "sms_send",
        "recipients": recipients,
        "campaign_status": str(row.status),
        "worker_processes": WORKER_PROCESSES,
        "batch_size": settings.CRM_SEND_BATCH_SIZE,
        "sms_send_chunk": settings.CRM_SMS_SEND_CHUNK,
        "sms_send_threads": threads,
        "send_rate_per_second": SEND_RATE,
        "method": "send_campaign -> Celery start job (audience frozen into queued texts in one "
        "INSERT, zones from the numbers' regions, one UPDATE per zone) -> 2 sender jobs "
        "claiming up to 500 at a time inside quiet hours, rendering the Liquid body plus the "
        "opt-out line per lead, body written before the calls, one Twilio call per text through "
        "the official client from a thread pool, outcomes and segments settled per chunk",
        "end_to_end_seconds": round(end_to_end_seconds, 2),
        "end_to_end_messages_per_second": round(rate),
        "audience_freeze_seconds": round(frozen, 2) if frozen is not None else None,
        "campaign_marked_sent_after_seconds": round(finished - started, 2),
        "double_accepted": int(stats["accepted"]),
        "double_distinct_recipients": int(stats["distinct_recipients"]),
        "messages_marked_sent": sent_messages,
        "worker_peak_rss_mb": {
            "pool_processes": [round(peak / 2**20, 1) for peak in sorted(pool)],
            "main_process": round(main_peak / 2**20, 1),
        },
        "double_ceiling": ceiling,
        "ratio_to_ceiling": round(rate / ceiling["messages_per_second"], 3),
        "goal_peak_rss_mb_per_worker": 300,
        "goal_met": all(peak < 300 * 2**20 for peak in pool) and sent_messages == recipients,
        "duration_s": round(time.time() - began, 1),
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    if "--serve-double" in sys.argv:
        serve_double()
    else:
        main()
