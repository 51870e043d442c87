"""A 100,000-recipient campaign sent to the Postmark double on the loopback address by a
real Celery worker with 2 processes: messages per second end to end (from the send request,
audience freeze included, to the last message the double accepted) and each worker process's
peak memory. Beside it, the double's own ceiling: the same batches (500 rendered messages
each) posted straight from a script by 2 processes, which is the ratio's baseline.

Run from the repository root: `python bench/campaign_send.py` (prints one JSON object).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_send")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, on_unlimited_plan, prepare_django  # noqa: E402

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "100000"))
WORKER_PROCESSES = 2
BATCH = 500
QUEUE = "bench-campaign-send"
SUBJECT = "{{ lead.first_name | default: 'Hi' }}, the spring cohort opens Monday"
TEXT = (
    "Hi {{ lead.first_name | default: 'there' }},\n\n"
    "The spring cohort of {{ workspace.name }} opens on Monday. Twelve weeks, a small group, "
    "and a live call every Thursday.\n\n"
    "{% if lead.company %}Bring {{ lead.company }} along: teams of three get a fourth seat "
    "free.\n\n{% endif %}" + "What you will build, week by week, is in the syllabus. " * 6 + "\n\n"
    "See you there,\nAda\n"
)
HTML = (
    "<html><body><p>Hi {{ lead.first_name | default: 'there' }},</p>"
    "<p>The spring cohort of <strong>{{ workspace.name }}</strong> opens on Monday.</p>"
    + "<p>What you will build, week by week, is in the syllabus.</p>" * 8
    + '<p><a href="https://example.com/cohort">Save your seat</a></p></body></html>'
)


def start_double() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fakes", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    return process, url


def double_stats(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}_double/stats", timeout=10) as answer:
        return dict(json.load(answer))


def seed(workspace_schema: str) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(workspace_schema), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO crm_lead (first_name, last_name, email, phone, company, source,
                source_detail, tags, notes, custom_fields, status, consent, created_at,
                updated_at)
            SELECT (ARRAY['Ada','Grace','Alan','Linus','Hedy','Yuki','Kofi'])[1 + i %% 7],
                'Surname' || i, 'reader' || i || '@bench.example', '',
                (ARRAY['Acme','Globex','','Initech'])[1 + i %% 4], 'web_form', '',
                ARRAY['webinar'], '', '{}'::jsonb, 'new', true, now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [RECIPIENTS],
        )


class PeakMemory(threading.Thread):
    """Samples the RSS of a process tree every 50 ms; keeps each process's peak."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peaks: dict[int, int] = {}
        self.roles: dict[int, str] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.root_pid)
        while not self.stop.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.roles.setdefault(
                    process.pid, "main" if process.pid == self.root_pid else "pool"
                )
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)
            time.sleep(0.05)


def baseline_sender(
    url: str, batches: int, payload: list[dict], results: multiprocessing.Queue[float]
) -> None:
    """One client process posting ready batches as fast as the double takes them."""
    from postmarker.core import PostmarkClient

    client = PostmarkClient(server_token="bench", root_api_url=url, timeout=30)
    started = time.perf_counter()
    for _ in range(batches):
        client.emails.send_batch(*payload)
    results.put(time.perf_counter() - started)


def measure_ceiling(url: str, payload: list[dict]) -> dict[str, float]:
    before = double_stats(url)["received"]
    batches_each = RECIPIENTS // BATCH // WORKER_PROCESSES
    results: multiprocessing.Queue[float] = multiprocessing.Queue()
    senders = [
        multiprocessing.Process(target=baseline_sender, args=(url, batches_each, payload, results))
        for _ in range(WORKER_PROCESSES)
    ]
    started = time.time()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    stats = double_stats(url)
    sent = int(stats["received"] - before)
    seconds = stats["last_accepted_wall"] - started
    return {
        "messages": sent,
        "seconds": round(seconds, 2),
        "messages_per_second": round(sent / seconds),
    }


def start_send_worker(
    env: dict[str, str], *, queue: str, log: str
) -> tuple[subprocess.Popen[bytes], str]:
    """A real Celery worker, prefork with WORKER_PROCESSES processes, on the benchmark's own
    queue, logging to bench/results/<log>; returned once it has had time to fork its pool."""
    log_path = ROOT / "bench" / "results"
    log_path.mkdir(parents=True, exist_ok=True)
    with (log_path / log).open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "project", "worker",
                "--pool", "prefork", "--concurrency", str(WORKER_PROCESSES),
                "--queues", queue, "--loglevel", "WARNING",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    time.sleep(4)  # the worker connects and forks its pool
    return worker, log_file.name


def wait_for_campaign(
    campaign_id: int, *, done: tuple[str, ...], seconds: float, log_name: str
) -> Any:
    """The campaign's row once its status is one of `done` (in the current schema); exits
    naming the worker's log when it takes longer than `seconds`."""
    from outreach.models import Campaign

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = Campaign.objects.get(pk=campaign_id)
        if row.status in done:
            return row
        time.sleep(0.25)
    raise SystemExit(f"the campaign did not finish; see {log_name}")


def main() -> None:
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    prepare_django()
    from django.conf import settings
    from django_tenants.utils import schema_context

    from crm.models import Message
    from mail.gateway import message_payload
    from outreach.delivery.outgoing import Claimed, load_outgoing
    from outreach.models import Campaign, EmailSettings
    from outreach.services.campaign_sending import send_campaign
    from outreach.services.campaigns import create_campaign
    from project.celery import app
    from tenants.services.provisioning import create_workspace

    workspace = create_workspace(
        name="Bench Coaching",
        slug="bench",
        owner_email="o@bench.example",
        owner_password="bench passphrase 1",
    )
    on_unlimited_plan(workspace)
    workspace.email_send_rate = 1_000_000  # measure the engine, not the pacing
    workspace.save(update_fields=["email_send_rate"])
    seed(workspace.schema_name)
    with schema_context(workspace.schema_name):
        EmailSettings.objects.create(pk=1, postal_address="Bench Coaching\n1 High Street\nBristol")
        campaign = create_campaign(
            actor=None,
            name="Spring cohort",
            subject=SUBJECT,
            body_template=TEXT,
            html_template=HTML,
        )

    double, url = start_double()
    env = {
        **os.environ,
        "DJANGO_ENV": "dev",
        "DEBUG": "false",  # as in production: no query log kept in memory
        "POSTMARK_SERVER_TOKEN": "bench-token",
        "POSTMARK_API_URL": url,
        "CRM_CELERY_QUEUE": QUEUE,
        "CRM_SEND_PARALLEL": str(WORKER_PROCESSES),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    worker, log_name = start_send_worker(env, queue=QUEUE, log="campaign_send_worker.log")
    try:
        memory = PeakMemory(worker.pid)
        memory.start()
        app.conf.task_default_queue = QUEUE
        with schema_context(workspace.schema_name):
            started = time.time()
            send_campaign(actor=None, campaign_id=campaign.pk)
            row = wait_for_campaign(
                campaign.pk, done=(Campaign.Status.SENT,), seconds=900, log_name=log_name
            )
            finished = time.time()
            memory.stop.set()
            stats = double_stats(url)
            frozen = (
                (row.frozen_at - row.started_at).total_seconds()
                if row.frozen_at and row.started_at
                else None
            )
            sent_messages = Message.objects.filter(campaign=campaign, status="sent").count()
            # The baseline's batches: the same campaign's emails, rendered by the same code.
            outgoing = load_outgoing(campaign.pk)
            assert outgoing is not None
            leads = list(
                Message.objects.filter(campaign=campaign)
                .select_related("lead")
                .order_by("id")[:BATCH]
            )
            import uuid

            key = uuid.uuid4()
            payload = []
            for message in leads:
                lead = message.lead
                claimed = Claimed(
                    message.pk, lead.pk, lead.email or "", "", "",
                    {"first_name": lead.first_name, "last_name": lead.last_name,
                     "email": lead.email, "company": lead.company, "tags": lead.tags},
                )  # fmt: skip
                link = outgoing.unsubscribe_link(claimed)
                payload.append(
                    message_payload(
                        outgoing.email(claimed, outgoing.render(claimed, link), key, link)
                    )
                )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    ceiling = measure_ceiling(url, payload)
    os.killpg(double.pid, signal.SIGTERM)

    end_to_end_seconds = stats["last_accepted_wall"] - started
    rate = RECIPIENTS / end_to_end_seconds
    pool = [peak for pid, peak in memory.peaks.items() if memory.roles.get(pid) == "pool"]
    main_peak = max(
        (peak for pid, peak in memory.peaks.items() if memory.roles.get(pid) == "main"), default=0
    )
    document = {
        "benchmark": "campaign_send",
        "recipients": RECIPIENTS,
        "worker_processes": WORKER_PROCESSES,
        "batch_size": settings.CRM_SEND_BATCH_SIZE,
        "method": "send_campaign -> Celery start job (audience frozen into 100k queued messages "
        "in one INSERT) -> 2 sender jobs claiming 500 at a time, rendering subject/text/HTML "
        "per lead in the template sandbox, unsubscribe link and headers, postmarker batch call "
        "to the loopback double, outcomes recorded per batch; the workspace's send rate lifted",
        "end_to_end_seconds": round(end_to_end_seconds, 2),
        "end_to_end_messages_per_second": round(rate),
        "audience_freeze_seconds": round(frozen, 2) if frozen is not None else None,
        "campaign_marked_sent_after_seconds": round(finished - started, 2),
        "double_accepted": int(stats["received"]),
        "double_distinct_recipients": int(stats["distinct_recipients"]),
        "messages_marked_sent": sent_messages,
        "worker_peak_rss_mb": {
            "pool_processes": [round(peak / 2**20, 1) for peak in sorted(pool)],
            "main_process": round(main_peak / 2**20, 1),
        },
        "double_ceiling": ceiling,
        "ratio_to_ceiling": round(rate / ceiling["messages_per_second"], 3),
        "goal_messages_per_second": 2000,
        "goal_peak_rss_mb_per_worker": 300,
        "goal_met": rate >= 2000 and all(peak < 300 * 2**20 for peak in pool),
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
