"""Reading the environment once: profile choice, production refusals, service discovery.

Kept free of Django imports so that settings can use it before Django is configured
and tests can call it with a plain dict.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path

PROFILES = ("dev", "test", "staging", "production")
STRICT_PROFILES = ("staging", "production")
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """The environment cannot run the chosen profile; the message names the variable to fix."""


def parse_bool(name: str, raw: str | None, *, default: bool) -> bool:
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use true or false.")


def choose_profile(environ: Mapping[str, str], *, under_pytest: bool) -> str:
    profile = environ.get("DJANGO_ENV") or ("test" if under_pytest else "dev")
    if profile not in PROFILES:
        raise ConfigError(
            f"DJANGO_ENV={profile!r} is not a profile: use one of {', '.join(PROFILES)}."
        )
    return profile


# A bearer token anyone on the internet may guess at (GET /metrics): long and random.
MIN_METRICS_TOKEN_LENGTH = 24


def refuse_unsafe_production(environ: Mapping[str, str], *, profile: str) -> None:
    """Raise ConfigError naming the first variable that makes a strict profile unsafe."""
    if profile not in STRICT_PROFILES:
        return
    if parse_bool("DEBUG", environ.get("DEBUG"), default=False):
        raise ConfigError(f"DEBUG is on in the {profile} profile: unset DEBUG or set DEBUG=false.")
    secret = environ.get("SECRET_KEY", "")
    if not secret or secret == DEV_SECRET_KEY or secret.startswith("django-insecure"):
        raise ConfigError(
            f"SECRET_KEY is missing or the development default in the {profile} profile: "
            "set SECRET_KEY to a long random value."
        )
    for name in ("DATABASE_URL", "REDIS_URL", "CRM_BASE_DOMAIN"):
        if not environ.get(name, "").strip():
            raise ConfigError(f"{name} is not set; the {profile} profile needs it.")
    metrics_token = environ.get("CRM_METRICS_TOKEN", "").strip()
    if metrics_token and len(metrics_token) < MIN_METRICS_TOKEN_LENGTH:
        raise ConfigError(
            f"CRM_METRICS_TOKEN is shorter than {MIN_METRICS_TOKEN_LENGTH} characters: set a "
            "long random value (python -c 'import secrets; print(secrets.token_urlsafe(32))') "
            "or unset it to allow only scrapes from the loopback address."
        )


def port_answers(host: str, port: int, *, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def embedded_database_dir(base_dir: Path) -> Path:
    return base_dir / ".data" / "pgdata"


def default_database_url(base_dir: Path, *, database: str) -> str:
    """PostgreSQL on 127.0.0.1:5432 when it answers, else the project-local server under .data/.

    The local server is started by `make run` (project.devrun); settings only point at it.
    """
    if port_answers("127.0.0.1", 5432):
        return f"postgres://postgres@127.0.0.1:5432/{database}"
    socket_dir = embedded_database_dir(base_dir)
    return f"postgres://postgres@/{database}?host={socket_dir}"


def default_redis_url(*, db: int) -> str | None:
    if port_answers("127.0.0.1", 6379):
        return f"redis://127.0.0.1:6379/{db}"
    return None
