"""deploy/observability: every metric the Grafana dashboard queries exists in a real scrape,
its logs panel asks only for labels promtail sets, and promtail keeps labels bounded."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from tests.support.metrics import TOKEN
from tests.support.servers import ROOT

OBSERVABILITY = ROOT / "deploy" / "observability"
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "rate", "irate", "increase",
    "histogram_quantile", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
}  # fmt: skip
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}
PANEL_TOPICS = {
    "Requests per second by route": "crm_http_requests_total",
    "p95 latency by route": "crm_http_request_duration_seconds_bucket",
    "5xx rate": "crm_http_requests_total",
    "Celery queue depth": "crm_celery_queue_length",
    "Task failures and retries": "crm_celery_tasks_total",
    "Emails sent and failed": "crm_emails_failed_total",
    "Workspaces by status": "crm_workspaces",
}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: what is left once strings, label
    matchers, grouping clauses, ranges, numbers and PromQL's own words are taken out."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", expr))
    return words - PROMQL_WORDS


def dashboard() -> dict[str, Any]:
    return json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())


def targets(datasource_type: str) -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in dashboard()["panels"]
        for target in panel["targets"]
        if target["datasource"]["type"] == datasource_type
    ]


def promtail() -> dict[str, Any]:
    return yaml.safe_load((OBSERVABILITY / "promtail.yml").read_text())


def promtail_job() -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The one scrape job, its pipeline stages by name, and every label its streams get."""
    (job,) = promtail()["scrape_configs"]
    stages = {name: body for stage in job["pipeline_stages"] for name, body in stage.items()}
    relabelled = {r["target_label"] for r in job["relabel_configs"] if "target_label" in r}
    return job, stages, set(job["journal"]["labels"]) | relabelled | set(stages["labels"])


def scraped_names() -> set[str]:
    with override_settings(CRM_METRICS_TOKEN=TOKEN):
        response = Client(HTTP_HOST="localhost").get(
            "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert response.status_code == 200
    return {
        family.name + suffix
        for family in text_string_to_metric_families(response.content.decode())
        for suffix in SUFFIXES.get(family.type, [""])
    }


def test_every_metric_the_dashboard_queries_exists_in_a_real_scrape(db) -> None:
    scraped = scraped_names()
    queried = {title: metric_names(expr) for title, expr in targets("prometheus")}

    assert all(queried.values()), queried  # the extraction found a name in every query
    used = set().union(*queried.values())
    assert sorted(used - scraped) == []
    for title, name in PANEL_TOPICS.items():
        assert name in queried[title], (title, queried[title])


def test_the_extraction_would_catch_a_misspelt_metric() -> None:
    names = metric_names('sum by (route) (rate(crm_http_request_total{status="5xx"}[5m]))')

    assert names == {"crm_http_request_total"}


def test_promtail_reads_our_units_from_journald_with_bounded_labels() -> None:
    job, stages, labels = promtail_job()
    keep = [r for r in job["relabel_configs"] if r.get("action") == "keep"]

    assert "journal" in job
    assert keep and re.fullmatch(keep[0]["regex"], "crm-web.service")
    assert not re.fullmatch(keep[0]["regex"], "sshd.service")
    assert set(stages["json"]["expressions"]) >= {"level", "event", "schema", "request_id"}
    assert labels == {"job", "unit", "host", "level"}
    assert "schema" not in labels and "request_id" not in labels
    assert set(stages["structured_metadata"]) == {"schema", "request_id", "event"}


def test_the_logs_panel_selects_only_labels_promtail_sets() -> None:
    _, _, labels = promtail_job()
    (logs,) = targets("loki")
    selector = re.match(r"\{([^}]*)\}", logs[1])

    assert selector is not None
    assert set(re.findall(r"(\w+)\s*=~?", selector.group(1))) <= labels


def test_the_prometheus_example_sends_the_bearer_token() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())

    for job in config["scrape_configs"]:
        assert job["metrics_path"] == "/metrics"
        assert job["authorization"]["type"] == "Bearer"
        assert job["authorization"]["credentials_file"]
