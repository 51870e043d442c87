"""Reading the environment once: profile choice, production refusals, service discovery.

Kept free of Django imports so that settings can use it before Django is configured
and tests can call it with a plain dict.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import socket
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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
    refuse_plaintext_database(environ, profile=profile)
    if not environ.get("CRM_FIELD_ENCRYPTION_KEY", "").strip():
        raise ConfigError(
            f"CRM_FIELD_ENCRYPTION_KEY is not set; the {profile} profile needs it to encrypt "
            "credentials at rest: set it to a key made with python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )


def field_encryption_keys(environ: Mapping[str, str], *, secret_key: str) -> list[str]:
    """The Fernet keys for secrets at rest (CRM_FIELD_ENCRYPTION_KEY, comma-separated: the
    first encrypts, all decrypt, so a key is rotated by putting the new one first). Unset
    (development and tests only; strict profiles refuse to start): one key derived from
    SECRET_KEY. Raises ConfigError naming a key that is not a Fernet key."""
    keys = [k.strip() for k in environ.get("CRM_FIELD_ENCRYPTION_KEY", "").split(",") if k.strip()]
    if not keys:
        digest = hashlib.sha256(b"crm-field-encryption:" + secret_key.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for position, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode())) == 32
        except ValueError:
            valid = False
        if not valid:
            raise ConfigError(
                f"CRM_FIELD_ENCRYPTION_KEY's key number {position} is not a Fernet key (32 "
                "url-safe base64-encoded bytes): make one with python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
    return keys


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


# --- Database: TLS and pooling ------------------------------------------------------------
# libpq's sslmode values that encrypt every connection or fail (the others may fall back
# to, or start with, plain text); verify-full also checks the server's name against its
# certificate, which is what stops a machine in the middle.
ENCRYPTED_SSLMODES = ("require", "verify-ca", "verify-full")
DATABASE_POOLERS = ("none", "pgbouncer-session")


def database_options(
    url_options: Mapping[str, object], *, connect_timeout: int
) -> dict[str, object]:
    """psycopg's connection options: the DATABASE_URL query string (sslmode, sslrootcert,
    sslcert, sslkey, application_name, ...) over our default connect timeout."""
    return {"connect_timeout": connect_timeout, **url_options}


def _database_host_and_sslmode(url: str) -> tuple[str, str]:
    """The host and sslmode DATABASE_URL asks for ("prefer", libpq's default, when unset: the
    check reads the URL only, so sslmode belongs there rather than in PGSSLMODE)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", [""])[0]
    return host, query.get("sslmode", ["prefer"])[0]


def is_local_database_host(host: str) -> bool:
    """True for a Unix socket directory, localhost or a loopback address: traffic that never
    leaves the machine (e.g. the app talking to PgBouncer beside it)."""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_plaintext_database(environ: Mapping[str, str], *, profile: str) -> None:
    """Raise ConfigError when a strict profile would reach a database on another machine
    without TLS being certain, unless CRM_DATABASE_ALLOW_PLAINTEXT says the network is private."""
    if profile not in STRICT_PROFILES:
        return
    host, sslmode = _database_host_and_sslmode(environ.get("DATABASE_URL", ""))
    if sslmode in ENCRYPTED_SSLMODES or is_local_database_host(host):
        return
    if parse_bool(
        "CRM_DATABASE_ALLOW_PLAINTEXT", environ.get("CRM_DATABASE_ALLOW_PLAINTEXT"), default=False
    ):
        return
    raise ConfigError(
        f"DATABASE_URL reaches {host} with sslmode={sslmode}, which may send passwords and data "
        "in plain text: add ?sslmode=verify-full&sslrootcert=/etc/crm/database-ca.pem (your "
        "provider's CA certificate) to DATABASE_URL, or set CRM_DATABASE_ALLOW_PLAINTEXT=true "
        "if that host is on a private network you trust."
    )


def choose_database_pooler(environ: Mapping[str, str]) -> str:
    pooler = environ.get("CRM_DATABASE_POOLER", "").strip().lower() or "none"
    if pooler == "pgbouncer-transaction":
        raise ConfigError(
            "CRM_DATABASE_POOLER=pgbouncer-transaction is not supported: django-tenants sets "
            "search_path on the connection in its own statement, so under transaction pooling a "
            "query can run in another workspace's schema. Set pool_mode = session in PgBouncer "
            "and CRM_DATABASE_POOLER=pgbouncer-session."
        )
    if pooler not in DATABASE_POOLERS:
        raise ConfigError(
            f"CRM_DATABASE_POOLER={pooler!r} is not a pooler: use one of "
            f"{', '.join(DATABASE_POOLERS)}."
        )
    return pooler


def database_conn_max_age(*, pooler: str, testing: bool) -> int:
    """Seconds Django keeps a connection between requests. Behind PgBouncer in session mode a
    kept connection holds a server connection while idle, so each request gives its back
    (connecting to PgBouncer costs no new PostgreSQL process)."""
    if testing or pooler == "pgbouncer-session":
        return 0
    return 60
