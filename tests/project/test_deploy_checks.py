"""The production profile passes Django's deployment checks, and the app under gunicorn in
that profile behaves as it does behind the TLS proxy: cookies Secure, HttpOnly and host-only,
plain http redirected to https, except the loopback probes (/healthz, /metrics)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie

import httpx
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.models import Workspace
from tests.project.test_settings import SAFE_PRODUCTION
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

OVER_TLS = {"X-Forwarded-Proto": "https"}


def run_check_deploy(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy --fail-level WARNING` in a fresh process: any warning fails."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in SAFE_PRODUCTION
        and not key.startswith(("CRM_HSTS", "DJANGO_SETTINGS"))
        and key not in ("DEBUG", "PYTEST_XDIST_WORKER")
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "LOG_LEVEL": "WARNING", **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_check_deploy_reports_nothing_in_the_strict_profiles(profile: str) -> None:
    result = run_check_deploy({**SAFE_PRODUCTION, "DJANGO_ENV": profile})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout
    assert "WARNING" not in result.stderr, result.stderr


def test_check_deploy_fails_on_a_weak_secret_key() -> None:
    # The same command with one weak setting: proof that the check above can fail.
    result = run_check_deploy({**SAFE_PRODUCTION, "SECRET_KEY": "short-but-not-the-default"})

    assert result.returncode != 0
    assert "security.W009" in result.stderr


def cookies_set(response: httpx.Response) -> dict[str, Morsel[str]]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return dict(jar.items())


def assert_secure_cookie(cookie: Morsel[str], what: str) -> None:
    assert cookie["secure"] is True, f"{what}: not Secure"
    assert cookie["httponly"] is True, f"{what}: not HttpOnly"
    assert cookie["samesite"] == "Lax", f"{what}: SameSite={cookie['samesite']!r}"
    # Host-only (no Domain): a workspace's cookie is never sent to another subdomain.
    assert cookie["domain"] == "", f"{what}: Domain={cookie['domain']!r}"


@pytest.fixture
def production_site(django_db_blocker, tmp_path) -> Iterator[tuple[str, Workspace]]:
    """A committed workspace, and the app under gunicorn in the production profile on it."""
    with committed_workspace(django_db_blocker, prefix="prodcookie", name="Cookie Co") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            # The test profile hashes with MD5, which production does not accept.
            argon2 = Argon2PasswordHasher()
            User.objects.filter(email=f"owner@{ws.slug}.example").update(
                password=argon2.encode(OWNER_PASSWORD, argon2.salt())
            )
        # This test's database and Redis; the rest of a safe production environment.
        shared = worker_env(LOG_LEVEL="WARNING")
        env = {
            **shared,
            **SAFE_PRODUCTION,
            "DATABASE_URL": shared["DATABASE_URL"],
            "REDIS_URL": shared["REDIS_URL"],
            "CRM_BASE_DOMAIN": "localhost",
        }
        env.pop("DEBUG", None)
        with gunicorn_app(env, log_path=tmp_path / "gunicorn.log") as base_url:
            yield base_url, ws


def test_production_sign_in_sets_secure_httponly_host_only_cookies(production_site) -> None:
    base_url, workspace = production_site
    host = workspace.primary_host
    with httpx.Client(base_url=base_url, headers={"Host": host, **OVER_TLS}) as web:
        page = web.get("/login/")
        assert page.status_code == 200, page.text[:500]
        csrf_cookie = cookies_set(page)["csrftoken"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token in the sign-in form"

        signed_in = web.post(
            "/login/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "email": f"owner@{workspace.slug}.example",
                "password": OWNER_PASSWORD,
            },
            headers={"Cookie": f"csrftoken={csrf_cookie.value}", "Origin": f"https://{host}"},
        )

    assert signed_in.status_code == 302, signed_in.text[:500]
    assert signed_in.headers["location"] == "/"
    set_now = cookies_set(signed_in)
    assert_secure_cookie(csrf_cookie, "csrftoken")
    assert_secure_cookie(set_now["sessionid"], "sessionid")
    assert_secure_cookie(set_now["csrftoken"], "csrftoken rotated at sign-in")


def test_plain_http_is_sent_to_https_but_loopback_probes_are_answered(production_site) -> None:
    base_url, workspace = production_site
    with httpx.Client(base_url=base_url) as web:
        page = web.get("/login/?next=/leads/", headers={"Host": workspace.primary_host})
        over_tls = web.get("/login/", headers={"Host": workspace.primary_host, **OVER_TLS})
        health = web.get("/healthz")  # Host 127.0.0.1:<port>, no proxy header
        metrics = web.get("/metrics")

    assert page.status_code == 301
    assert page.headers["location"] == f"https://{workspace.primary_host}/login/?next=/leads/"
    assert over_tls.status_code == 200
    assert over_tls.headers["strict-transport-security"].startswith("max-age=31536000")
    assert health.status_code == 200, health.text
    assert health.json()["database"] == "ok"
    assert "location" not in metrics.headers  # answered (or refused), never redirected
    assert metrics.status_code != 301
