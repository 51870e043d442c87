"""The profiles: strict ones refuse to start on an unsafe environment, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from project.config import (
    DEV_SECRET_KEY,
    ConfigError,
    choose_profile,
    parse_bool,
    refuse_unsafe_production,
)
from tests.support.servers import ROOT

SAFE_PRODUCTION = {
    "DJANGO_ENV": "production",
    # 50+ characters: shorter keys pass our refusal but fail `check --deploy` (security.W009).
    "SECRET_KEY": "a-long-random-production-secret-value-0123456789-kept-for-tests",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CRM_BASE_DOMAIN": "crm.example.com",
    "CRM_FIELD_ENCRYPTION_KEY": "Z2VuZXJhdGVkLWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM=",
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"DEBUG": "true"}, "DEBUG"),
        ({"DEBUG": "1"}, "DEBUG"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-abc"}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"CRM_BASE_DOMAIN": ""}, "CRM_BASE_DOMAIN"),
    ],
)
@pytest.mark.parametrize("profile", ["production", "staging"])
def test_strict_profile_refuses_unsafe_environment(change, named, profile) -> None:
    environ = {**SAFE_PRODUCTION, **change}

    with pytest.raises(ConfigError, match=named):
        refuse_unsafe_production(environ, profile=profile)


def test_safe_production_environment_is_accepted() -> None:
    refuse_unsafe_production(SAFE_PRODUCTION, profile="production")


def test_dev_profile_needs_nothing() -> None:
    refuse_unsafe_production({}, profile="dev")


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ConfigError, match="DJANGO_ENV"):
        choose_profile({"DJANGO_ENV": "prod"}, under_pytest=False)


def test_profile_defaults_to_dev_and_to_test_under_pytest() -> None:
    assert choose_profile({}, under_pytest=False) == "dev"
    assert choose_profile({}, under_pytest=True) == "test"


def test_bad_boolean_is_refused_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="DEBUG"):
        parse_bool("DEBUG", "maybe", default=False)


def start_django(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in SAFE_PRODUCTION and key not in ("DEBUG", "PYTEST_XDIST_WORKER")
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_process_refuses_to_start_without_secret_key() -> None:
    environ = {key: value for key, value in SAFE_PRODUCTION.items() if key != "SECRET_KEY"}

    result = start_django(environ)

    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_production_process_refuses_to_start_with_debug_on() -> None:
    result = start_django({**SAFE_PRODUCTION, "DEBUG": "true"})

    assert result.returncode != 0
    assert "DEBUG is on" in result.stderr


def test_production_process_starts_with_a_safe_environment() -> None:
    result = start_django(SAFE_PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


SENTRY_PROBE = (
    "import django, sentry_sdk; django.setup(); print(sentry_sdk.get_client().is_active())"
)


def run_probe(code: str, environ: dict[str, str]) -> str:
    clean = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "project.settings", "DJANGO_ENV": "dev", **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_sentry_is_initialised_only_when_a_dsn_is_set() -> None:
    assert run_probe(SENTRY_PROBE, {}) == "False"
    assert run_probe(SENTRY_PROBE, {"SENTRY_DSN": "http://key@127.0.0.1:9/1"}) == "True"
