"""Security headers on every answer: the Content-Security-Policy, nosniff, Referrer-Policy and
framing refused, on pages, API JSON, error pages, /healthz and static files, on the apex and on
workspace hosts; HSTS only in the strict profiles, where the site is served over https."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client

from tests.project.test_settings import SAFE_PRODUCTION
from tests.support.clients import bearer_client
from tests.support.servers import ROOT

POLICY = "Content-Security-Policy"


def directives(response) -> dict[str, list[str]]:
    """The policy as {directive: [sources]}."""
    parsed = {}
    for part in response[POLICY].split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_secure_headers(response, what: str) -> None:
    assert response.has_header(POLICY), f"{what}: no {POLICY}"
    policy = directives(response)
    assert policy["default-src"] == ["'self'"], what
    assert policy["script-src"] == ["'self'"], what  # no inline code, no eval
    assert policy["style-src"] == ["'self'"], what
    assert policy["object-src"] == ["'none'"], what
    assert policy["base-uri"] == ["'none'"], what
    assert policy["frame-ancestors"] == ["'none'"], what
    assert response["X-Content-Type-Options"] == "nosniff", what
    assert response["Referrer-Policy"] == "same-origin", what
    assert response["X-Frame-Options"] == "DENY", what
    assert not response.has_header("Strict-Transport-Security"), f"{what}: HSTS outside https"


@pytest.fixture
def workspace_answers(make_workspace) -> dict[str, object]:
    fixture = make_workspace()
    api = bearer_client(fixture.workspace, fixture.owner_email)
    page = fixture.client()
    signed_in = fixture.signed_in_client()
    stranger = Client(HTTP_HOST=fixture.host)
    return {
        "sign-in page": page.get("/login/"),
        "redirect to sign-in": page.get("/"),
        "signed-in page": signed_in.get("/campaigns/new/"),
        "htmx fragment": signed_in.get("/campaigns/audience-count/", HTTP_HX_REQUEST="true"),
        "API JSON": api.get("/api/v1/leads"),
        "API 401": stranger.get("/api/v1/leads"),
        "API 404": api.get("/api/v1/leads/999999"),
        "API 422": api.post("/api/v1/leads", {"email": "nope"}, content_type="application/json"),
        "OpenAPI": page.get("/api/v1/openapi.json"),
        "API docs": page.get("/api/v1/docs"),
        "404 page": signed_in.get("/no-such-page/"),
        "workspace /healthz": page.get("/healthz"),
        "static file": page.get("/static/js/app.js"),
        "https request": page.get("/login/", secure=True),
    }


def test_every_workspace_answer_carries_the_headers(workspace_answers) -> None:
    for what, response in workspace_answers.items():
        assert_secure_headers(response, what)


def test_every_apex_answer_carries_the_headers(apex_client) -> None:
    answers = {
        "landing page": apex_client.get("/"),
        "sign-up page": apex_client.get("/signup/"),
        "console sign-in": apex_client.get("/console/login/"),
        "console redirect": apex_client.get("/console/"),
        "platform API 422": apex_client.post(
            "/api/workspaces", {}, content_type="application/json"
        ),
        "apex /healthz": apex_client.get("/healthz"),
        "apex 404 page": apex_client.get("/no-such-page/"),
    }

    for what, response in answers.items():
        assert_secure_headers(response, what)


def test_unknown_and_refused_hosts_carry_the_headers(db) -> None:
    answers = {
        "unknown workspace page": Client(HTTP_HOST="nobody.localhost").get("/login/"),
        "unknown workspace API": Client(HTTP_HOST="nobody.localhost").get("/api/v1/leads"),
        "unknown workspace /healthz": Client(HTTP_HOST="nobody.localhost").get("/healthz"),
        "host outside the domain": Client(HTTP_HOST="evil.example").get("/"),
    }

    for what, response in answers.items():
        assert_secure_headers(response, what)
    assert answers["unknown workspace page"].status_code == 404
    assert answers["host outside the domain"].status_code == 400


def test_a_server_error_page_carries_the_headers(apex_client, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("the landing page broke")

    monkeypatch.setattr("tenants.views.render", broken)
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)

    response = client.get("/")

    assert response.status_code == 500
    assert_secure_headers(response, "500 page")


def test_form_action_allows_only_our_apex_and_its_workspace_subdomains(apex_client) -> None:
    policy = directives(apex_client.get("/signup/"))

    # Sign-up on the apex redirects the form to the new workspace's domain.
    assert policy["form-action"] == [
        "'self'",
        "http://localhost:8000",
        "http://*.localhost:8000",
    ]


def test_only_the_page_showing_an_email_relaxes_styles_and_images(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    created = client.post(
        "/campaigns/new/",
        {"name": "Styled", "subject": "Hi", "body_template": "Hello", "html_template": ""},
    )
    assert created.status_code == 302, created.content
    detail = client.get(created["Location"])

    policy = directives(detail)

    # The HTML preview is a sandboxed srcdoc frame: it takes this page's policy.
    assert detail.status_code == 200
    assert 'sandbox=""' in detail.content.decode()
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "https:"]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert directives(client.get("/campaigns/"))["style-src"] == ["'self'"]


# --- HSTS: the strict profiles only ------------------------------------------------------

HEADERS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
over_https = {"HTTP_X_FORWARDED_PROTO": "https"}
answer = Client().get("/healthz", HTTP_HOST=settings.CRM_BASE_DOMAIN, **over_https)
print("PROBE " + json.dumps({"status": answer.status_code, "headers": dict(answer.headers)}))
"""


def answer_in_profile(environ: dict[str, str]) -> dict[str, str]:
    """The headers of GET /healthz over https in a fresh process with this environment."""
    database = connection.settings_dict
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in SAFE_PRODUCTION and not key.startswith("CRM_HSTS") and key != "DEBUG"
    }
    clean.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(
        [sys.executable, "-c", HEADERS_PROBE],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "LOG_LEVEL": "WARNING",
            **environ,
            # Whatever the profile, the probe uses this test's database and Redis.
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))
    answer = json.loads(line.removeprefix("PROBE "))
    assert answer["status"] == 200, answer
    return answer["headers"]


def test_production_sends_hsts_for_a_year_including_subdomains(db) -> None:
    headers = answer_in_profile(SAFE_PRODUCTION)

    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "frame-ancestors 'none'" in headers[POLICY]
    assert "https://*.crm.example.com" in headers[POLICY]  # form-action: https, no port
    assert headers["X-Frame-Options"] == "DENY"


def test_staging_sends_hsts_too(db) -> None:
    headers = answer_in_profile({**SAFE_PRODUCTION, "DJANGO_ENV": "staging"})

    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_is_configured_from_the_environment(db) -> None:
    headers = answer_in_profile(
        {
            **SAFE_PRODUCTION,
            "CRM_HSTS_SECONDS": "600",
            "CRM_HSTS_INCLUDE_SUBDOMAINS": "false",
            "CRM_HSTS_PRELOAD": "true",
        }
    )

    assert headers["Strict-Transport-Security"] == "max-age=600; preload"


def test_dev_profile_never_sends_hsts_even_when_asked(db) -> None:
    headers = answer_in_profile({"DJANGO_ENV": "dev", "CRM_HSTS_SECONDS": "600"})

    assert "Strict-Transport-Security" not in headers
    assert "Content-Security-Policy" in headers
