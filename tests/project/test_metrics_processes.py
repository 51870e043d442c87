"""Multiprocess mode for real: gunicorn with two workers and a Celery prefork pool share one
PROMETHEUS_MULTIPROC_DIR, and one scrape of the web sums every process."""

from __future__ import annotations

import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from django.db import connection
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from project.tasks import ping
from tests.support.metrics import TOKEN, samples_of, total
from tests.support.servers import ROOT, free_port, gunicorn_app
from tests.support.workers import celery_worker, wait_for

REQUESTS = 40
TASKS = 3
GONE_PID = 4_194_304 + 17  # above Linux's largest pid: certainly no process


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _healthz_counts_by_pid(directory: Path) -> dict[int, float]:
    counts = {}
    for db_file in directory.glob("counter_*.db"):
        pid = int(re.search(r"_(\d+)\.db$", db_file.name).group(1))  # type: ignore[union-attr]
        samples = [
            sample
            for metric in MultiProcessCollector.merge([str(db_file)])
            for sample in metric.samples
        ]
        counts[pid] = total(samples, "crm_http_requests_total", route="healthz")
    return {pid: count for pid, count in counts.items() if count}


def _worker_pids(log_path: Path) -> list[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log_path.read_text())]


def _tasks_done(directory: Path) -> float:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))
    samples = [sample for metric in registry.collect() for sample in metric.samples]
    return total(samples, "crm_celery_tasks_total", task="project.ping", outcome="succeeded")


def test_one_scrape_sums_both_gunicorn_workers_and_the_celery_pool(tmp_path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    stale = directory / f"counter_{GONE_PID}.db"
    stale.write_bytes(b"left by a process of the previous run")
    # The production config: its on_starting and child_exit hooks keep the directory.
    config = ROOT / "deploy" / "gunicorn.conf.py"
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DATABASE_URL": _database_url(),
        "CRM_METRICS_TOKEN": TOKEN,
    }
    gunicorn = gunicorn_app(
        env,
        log_path=tmp_path / "server.log",
        args=["--workers", "2", "--config", str(config)],
    )
    with celery_worker(tmp_path, concurrency=2, env=env) as worker, gunicorn as base_url:
        for _ in range(TASKS):
            ping.apply_async(queue=worker.queue)

        def probe(_: int) -> int:
            return httpx.get(f"{base_url}/healthz", headers={"Host": "localhost"}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(probe, range(REQUESTS)))
        wait_for(
            lambda: _tasks_done(directory) == TASKS,
            timeout=60,
            message=f"the worker did not count {TASKS} tasks:\n{worker.log()}",
        )
        scrape = httpx.get(
            f"{base_url}/metrics",
            headers={"Host": "localhost", "Authorization": f"Bearer {TOKEN}"},
        )
        by_pid = _healthz_counts_by_pid(directory)
        # A worker that ends (max_requests, a crash) takes nothing away from the sums.
        os.kill(next(iter(by_pid)), signal.SIGTERM)
        wait_for(
            lambda: len(set(_worker_pids(tmp_path / "server.log"))) >= 3,
            timeout=20,
            message="gunicorn did not replace the worker",
        )
        after_restart = httpx.get(
            f"{base_url}/metrics",
            headers={"Host": "localhost", "Authorization": f"Bearer {TOKEN}"},
        )

    samples = samples_of(scrape.text)
    assert statuses == [200] * REQUESTS
    assert scrape.status_code == 200
    assert not stale.exists()  # on_starting cleared what a gone process left
    assert total(samples, "crm_http_requests_total", route="healthz") == REQUESTS
    assert len(by_pid) == 2, by_pid  # both workers answered some, and the scrape sums them
    assert sum(by_pid.values()) == REQUESTS
    assert os.getpid() not in by_pid
    assert total(samples_of(after_restart.text), "crm_http_requests_total", route="healthz") == (
        REQUESTS
    )
    assert total(samples, "crm_celery_tasks_total", task="project.ping", outcome="succeeded") == (
        TASKS
    )


def test_the_scrape_answers_and_counts_the_error_while_the_database_is_down(tmp_path) -> None:
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/crm",  # nothing listens
        "CRM_METRICS_TOKEN": TOKEN,
    }
    with gunicorn_app(env, log_path=tmp_path / "server.log") as base_url:
        scrape = httpx.get(
            f"{base_url}/metrics",
            headers={"Host": "localhost", "Authorization": f"Bearer {TOKEN}"},
        )

    samples = samples_of(scrape.text)
    assert scrape.status_code == 200
    assert total(samples, "crm_database_errors_total", source="metrics") == 1
    assert not [sample for sample in samples if sample.name == "crm_workspaces"]
    # Redis still answers: the queue gauge is there (its value is whatever other tests on this
    # worker's Redis database left queued, so it is not compared).
    assert [sample for sample in samples if sample.name == "crm_celery_queue_length"]
