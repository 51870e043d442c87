"""GET /healthz on every host; 503 naming the part that is down, without hanging."""

from __future__ import annotations

import json
import time

import httpx
from django.db import connection
from django.test import Client

from tests.support.servers import gunicorn_app, silent_tcp_peer


def _test_database_url() -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def test_health_is_ok_on_apex_workspace_and_unknown_hosts(make_workspace) -> None:
    hosts = ["localhost", make_workspace().host, "nobody.localhost", "127.0.0.1"]

    for host in hosts:
        response = Client(HTTP_HOST=host).get("/healthz")
        assert response.status_code == 200, host
        assert response.json() == {
            "status": "ok",
            "database": "ok",
            "redis": "ok",
            "release": "development",
        }


def test_unreachable_database_is_503_naming_it_without_hanging(tmp_path) -> None:
    with silent_tcp_peer() as dead_port:
        env = {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_port}/crm",
            "CRM_DATABASE_CONNECT_TIMEOUT": "2",
            "LOG_FORMAT": "json",
        }
        with gunicorn_app(env, log_path=tmp_path / "server.log") as base_url:
            started = time.monotonic()
            response = httpx.get(
                f"{base_url}/healthz", headers={"X-Request-ID": "probe-42"}, timeout=20
            )
            elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["failing"] == ["database"]
    assert response.json()["redis"] == "ok"
    assert elapsed < 8
    log_lines = [
        json.loads(line)
        for line in (tmp_path / "server.log").read_text().splitlines()
        if line.startswith("{")
    ]
    finished = [line for line in log_lines if line["event"] == "request_finished"]
    assert finished[-1]["request_id"] == "probe-42"
    assert finished[-1]["status"] == 503


def test_unreachable_redis_is_503_naming_it(tmp_path) -> None:
    with silent_tcp_peer() as dead_port:
        env = {
            "REDIS_URL": f"redis://127.0.0.1:{dead_port}/0",
            "DATABASE_URL": _test_database_url(),
        }
        with gunicorn_app(env, log_path=tmp_path / "server.log") as base_url:
            response = httpx.get(f"{base_url}/healthz", timeout=20)

    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"
    assert response.json()["database"] == "ok"
