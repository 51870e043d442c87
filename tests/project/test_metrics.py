"""GET /metrics: who may read it, and what the counters say after real requests, sends and
tasks (in this process: prometheus-client's default registry, as without multiprocess mode)."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Lead
from project.celery import app
from project.config import ConfigError, refuse_unsafe_production
from project.tasks import ping
from tenants.models import BillingStatus, Workspace
from tests.project.test_settings import SAFE_PRODUCTION, start_django
from tests.support.clients import api, post
from tests.support.email import ready_campaign, run_jobs
from tests.support.metrics import TOKEN, label_values, samples_of, total
from tests.support.servers import free_port

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def scrape() -> list:
    with override_settings(CRM_METRICS_TOKEN=TOKEN):
        response = Client(HTTP_HOST="localhost").get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.content
    return samples_of(response.content.decode())


@override_settings(CRM_METRICS_TOKEN=TOKEN)
def test_without_the_token_or_with_a_wrong_one_is_401_in_the_error_shape(db) -> None:
    apex = Client(HTTP_HOST="localhost")

    missing = apex.get("/metrics")
    wrong = apex.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    basic = apex.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    served = apex.get("/metrics", headers=BEARER)

    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"
        assert "CRM_METRICS_TOKEN" in refused.json()["error"]["message"]
        assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert served.status_code == 200
    assert served["Content-Type"].startswith("text/plain; version=")
    assert "# TYPE crm_http_requests_total counter" in served.content.decode()


@override_settings(CRM_METRICS_TOKEN="")
def test_without_a_token_only_a_direct_loopback_request_is_served(db) -> None:
    direct = Client(HTTP_HOST="localhost").get("/metrics")  # REMOTE_ADDR 127.0.0.1
    by_ip = Client(HTTP_HOST="127.0.0.1:8000").get("/metrics")
    proxied = Client(HTTP_HOST="localhost").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    remote = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9").get("/metrics")

    assert direct.status_code == 200
    assert by_ip.status_code == 200
    for refused in (proxied, remote):
        assert refused.status_code == 404
        assert refused.json() == {
            "error": {"code": "not_found", "message": "Not found.", "details": []}
        }


@override_settings(CRM_METRICS_TOKEN=TOKEN)
def test_a_workspace_host_answers_404_even_with_the_token(make_workspace) -> None:
    workspace = make_workspace()

    response = workspace.client().get("/metrics", headers=BEARER)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert b"crm_" not in response.content


@override_settings(CRM_METRICS_TOKEN=TOKEN)
def test_post_is_405(db) -> None:
    response = Client(HTTP_HOST="localhost").post("/metrics", headers=BEARER)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_route_labels_never_hold_a_slug_or_a_path_with_ids(two_workspaces) -> None:
    alpha, beta = two_workspaces
    lead_ids = []
    for fixture in (alpha, beta):
        client = api(fixture)
        created = client.post(
            "/api/v1/leads", {"email": f"x@{fixture.workspace.slug}.example"}, "application/json"
        )
        assert created.status_code == 201, created.content
        lead_id = created.json()["id"]
        lead_ids.append(lead_id)
        assert client.get(f"/api/v1/leads/{lead_id}").status_code == 200
        assert client.get("/api/v1/leads/987654").status_code == 404
        assert client.get("/api/v1/leads?limit=1").status_code == 200
        pages = fixture.signed_in_client()
        assert pages.get(f"/leads/{lead_id}/").status_code == 200
        assert pages.get("/leads/").status_code == 200
        assert pages.get(f"/no-such-page/{fixture.workspace.slug}/4242/").status_code == 404

    samples = scrape()
    routes = label_values(samples, "crm_http_requests_total", "route")

    assert {"api/v1/leads/<int:lead_id>", "leads/<int:lead_id>/", "unmatched"} <= routes
    for route in routes:
        assert "alpha" not in route and "beta" not in route, route
        assert not re.search(r"\d{3,}", route), route
        for lead_id in lead_ids:
            assert f"/{lead_id}" not in route, route
    for sample in samples:  # no metric at all names a workspace
        assert not {"alpha", "beta"} & set(re.split(r"[^a-z0-9]+", str(sample.labels))), sample
        if sample.name == "crm_http_requests_total":
            assert set(sample.labels) == {"site", "route", "method", "status"}


def test_request_counter_and_histogram_move_by_the_number_of_requests(make_workspace) -> None:
    client = api(make_workspace())
    ok = {"site": "workspace", "route": "api/v1/leads", "method": "GET", "status": "2xx"}
    missing = {**ok, "route": "api/v1/leads/<int:lead_id>", "status": "4xx"}
    before = scrape()

    for _ in range(3):
        assert client.get("/api/v1/leads").status_code == 200
    assert client.get("/api/v1/leads/424242").status_code == 404
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("crm_http_requests_total", **ok) == 3
    assert moved("crm_http_request_duration_seconds_count", **ok) == 3
    assert moved("crm_http_request_duration_seconds_bucket", le="+Inf", **ok) == 3
    assert moved("crm_http_request_duration_seconds_sum", **ok) > 0
    assert moved("crm_http_requests_total", **missing) == 1


def test_emails_sent_and_refused_move_with_a_real_send_through_postmark(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    postmark.refuse[f"lead2@{fixture.workspace.slug}.example"] = 406
    before = scrape()
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})

    run_jobs(fixture.workspace, campaign["id"])
    after = scrape()

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert sum(postmark.batches) == 3
    assert moved("crm_emails_sent_total", stream="broadcast") == 2
    assert moved("crm_emails_failed_total", stream="broadcast", reason="refused") == 1
    assert moved("crm_emails_sent_total", stream="outbound") == 0


def test_a_failed_postmark_call_counts_each_email_as_failed(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    postmark.fail_next = [422]
    before = scrape()
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})

    run_jobs(fixture.workspace, campaign["id"])
    after = scrape()

    failed = total(after, "crm_emails_failed_total", stream="broadcast", reason="permanent")
    failed -= total(before, "crm_emails_failed_total", stream="broadcast", reason="permanent")
    assert failed == 2


@app.task(name="tests.metrics.always_fails")
def always_fails() -> None:
    raise ValueError("this task always fails")


@app.task(name="tests.metrics.retries_once", bind=True, max_retries=1)
def retries_once(self) -> None:
    if not self.request.retries:
        raise self.retry(countdown=0)


def test_task_outcomes_move_by_task_name(db) -> None:
    before = scrape()

    assert ping.apply().successful()
    assert always_fails.apply().failed()
    retries_once.apply()
    after = scrape()

    def moved(task: str, outcome: str) -> float:
        name = "crm_celery_tasks_total"
        return total(after, name, task=task, outcome=outcome) - total(
            before, name, task=task, outcome=outcome
        )

    assert moved("project.ping", "succeeded") == 1
    assert moved("tests.metrics.always_fails", "failed") == 1
    assert moved("tests.metrics.retries_once", "retried") == 1


def test_workspaces_gauge_matches_the_rows(make_workspace) -> None:
    read_only = make_workspace().workspace
    suspended = make_workspace().workspace
    past_due = make_workspace().workspace
    make_workspace()
    Workspace.objects.filter(pk=read_only.pk).update(
        billing_status=BillingStatus.ENDED, read_only_from=timezone.now()
    )
    Workspace.objects.filter(pk=suspended.pk).update(status=Workspace.Status.SUSPENDED)
    Workspace.objects.filter(pk=past_due.pk).update(billing_status=BillingStatus.PAST_DUE)
    expected: dict[tuple[str, str], int] = {}
    for row in Workspace.objects.exclude(schema_name="public"):
        if row.is_suspended:
            access = "suspended"
        elif row.is_read_only:
            access = "read_only"
        else:
            access = "active"
        expected[(row.billing_status, access)] = expected.get((row.billing_status, access), 0) + 1

    samples = [s for s in scrape() if s.name == "crm_workspaces"]
    found = {(s.labels["billing_status"], s.labels["access"]): s.value for s in samples if s.value}

    assert found == expected
    assert found[("ended", "read_only")] >= 1 and found[("past_due", "active")] >= 1
    assert len(samples) == len(BillingStatus.values) * 3  # zeros too: series never vanish


def test_queue_depth_is_the_length_of_the_queue_in_redis(db) -> None:
    queue = "test-metrics-depth"
    with override_settings(CELERY_TASK_DEFAULT_QUEUE=queue):
        before = total(scrape(), "crm_celery_queue_length", queue=queue)
        ping.apply_async(queue=queue)
        ping.apply_async(queue=queue, priority=6)
        after = total(scrape(), "crm_celery_queue_length", queue=queue)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)

    assert (before, after) == (0, 2)


def test_a_database_error_in_a_request_is_counted(make_workspace) -> None:
    fixture = make_workspace()
    before = total(scrape(), "crm_database_errors_total", source="request")
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.all().delete()

    with override_settings(ROOT_URLCONF="tests.project.metrics_urls"):
        client = fixture.client()
        client.raise_request_exception = False
        response = client.get("/database-error/")
    after = total(scrape(), "crm_database_errors_total", source="request")

    assert response.status_code == 500
    assert after - before == 1


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_the_scrape_answers_while_the_collectors_read(host, db) -> None:
    with override_settings(CRM_METRICS_TOKEN=TOKEN):
        response = Client(HTTP_HOST=host).get("/metrics", headers=BEARER)

    assert response.status_code == 200
    assert "crm_celery_queue_length" in response.content.decode()


def test_redis_down_is_counted_by_the_health_check_and_the_scrape_still_answers(db) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    before = scrape()

    with override_settings(REDIS_URL=dead, CRM_METRICS_TOKEN=TOKEN):
        health = Client(HTTP_HOST="localhost").get("/healthz")
        during = Client(HTTP_HOST="localhost").get("/metrics", headers=BEARER)
    after = scrape()

    def moved(source: str) -> float:
        name = "crm_redis_errors_total"
        return total(after, name, source=source) - total(before, name, source=source)

    assert health.status_code == 503
    assert during.status_code == 200
    assert "crm_celery_queue_length{" not in during.content.decode()  # skipped, not invented
    assert (moved("healthz"), moved("metrics")) == (1, 1)


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_a_short_token_is_refused_in_strict_profiles_naming_the_variable(profile) -> None:
    with pytest.raises(ConfigError, match="CRM_METRICS_TOKEN is shorter than 24"):
        refuse_unsafe_production({**SAFE_PRODUCTION, "CRM_METRICS_TOKEN": "short"}, profile=profile)
    refuse_unsafe_production({**SAFE_PRODUCTION, "CRM_METRICS_TOKEN": TOKEN}, profile=profile)
    refuse_unsafe_production(SAFE_PRODUCTION, profile=profile)  # none: loopback only


def test_a_production_process_with_a_short_token_does_not_start() -> None:
    result = start_django({**SAFE_PRODUCTION, "CRM_METRICS_TOKEN": "short"})

    assert result.returncode != 0
    assert "CRM_METRICS_TOKEN is shorter than 24 characters" in result.stderr
