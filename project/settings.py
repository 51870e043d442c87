"""The one settings module. Reads the environment once; DJANGO_ENV picks the profile.

Profiles: dev (default), test (under pytest), staging and production (strict: they refuse
to start on an unsafe environment, naming the variable to fix).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from project import config
from project.logging import build_logging_config, configure_structlog

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env", override=False)
env = os.environ

try:
    PROFILE = config.choose_profile(env, under_pytest="pytest" in sys.modules)
    config.refuse_unsafe_production(env, profile=PROFILE)
    DEBUG = config.parse_bool("DEBUG", env.get("DEBUG"), default=PROFILE == "dev")
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None

STRICT = PROFILE in config.STRICT_PROFILES
TESTING = PROFILE == "test"
SECRET_KEY = env.get("SECRET_KEY") or config.DEV_SECRET_KEY

# --- Domains -----------------------------------------------------------------------------
CRM_BASE_DOMAIN = env.get("CRM_BASE_DOMAIN", "localhost").strip().lower().rstrip(".")
CRM_PUBLIC_SCHEME = env.get("CRM_PUBLIC_SCHEME", "https" if STRICT else "http")
CRM_PUBLIC_PORT = env.get("CRM_PUBLIC_PORT", "" if STRICT else "8000")
ALLOWED_HOSTS = [CRM_BASE_DOMAIN, f".{CRM_BASE_DOMAIN}"] + [
    host.strip() for host in env.get("CRM_EXTRA_ALLOWED_HOSTS", "").split(",") if host.strip()
]

# --- Database ----------------------------------------------------------------------------
_xdist_worker = env.get("PYTEST_XDIST_WORKER", "gw0")
_worker_index = int(_xdist_worker[2:]) if _xdist_worker[2:].isdigit() else 0


def _database_url() -> str:
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    embedded = BASE_DIR / ".data" / "database_url"
    if not config.port_answers("127.0.0.1", 5432) and embedded.exists():
        return embedded.read_text().strip()
    return config.default_database_url(BASE_DIR, database=env.get("CRM_DATABASE_NAME", "crm"))


DATABASE_URL = _database_url()
# TLS and pooling: deploy/README.md, "Database: TLS and PgBouncer".
try:
    CRM_DATABASE_POOLER = config.choose_database_pooler(env)
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None
_database = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=config.database_conn_max_age(pooler=CRM_DATABASE_POOLER, testing=TESTING),
)
_database["ENGINE"] = "django_tenants.postgresql_backend"
# The URL's query string (sslmode, sslrootcert, sslcert, sslkey...) reaches psycopg as is.
_database["OPTIONS"] = config.database_options(
    _database.get("OPTIONS", {}),
    connect_timeout=int(env.get("CRM_DATABASE_CONNECT_TIMEOUT", "3")),
)
_database["TEST"] = {"NAME": f"test_{_database['NAME']}"}
DATABASES = {"default": _database}
DATABASE_ROUTERS = ("mail.routers.PublicOnlyModels", "django_tenants.routers.TenantSyncRouter")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and broker -------------------------------------------------------------
REDIS_URL: str | None = env.get("REDIS_URL") or config.default_redis_url(
    db=(10 + _worker_index) if TESTING else 0
)
if REDIS_URL:
    _default_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "crm",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    # Host -> workspace resolution is looked up before any schema is chosen, so its keys
    # must not carry the schema prefix of whatever the connection served last.
    _hosts_cache = {
        "BACKEND": _default_cache["BACKEND"],
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "crm-hosts",
        "OPTIONS": _default_cache["OPTIONS"],
    }
else:
    _default_cache = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
    _hosts_cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hosts"}
CACHES = {"default": _default_cache, "hosts": _hosts_cache}
CRM_HOST_CACHE_SECONDS = int(env.get("CRM_HOST_CACHE_SECONDS", "300"))

# --- Tenancy -----------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "accounts",
    "mail",
    "billing",
    "backups",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",
    "django_htmx",
    "csp",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "accounts",
    "mail",
    "crm",
    "outreach",
    "sms",
    "billing.payments",
    "dashboard",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
TENANT_MODEL = "tenants.Workspace"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "project.urls_public"
ROOT_URLCONF = "project.urls_tenant"
# New workspaces are cloned from this schema, kept at the latest migration (tenants.provisioning).
TENANT_BASE_SCHEMA = "workspace_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
CRM_RESERVED_SLUGS = frozenset(
    [
        "www",
        "api",
        "app",
        "admin",
        "console",
        "mail",
        "static",
        "media",
        "status",
        "help",
        "docs",
        "billing",
        "public",
    ]
)

MIDDLEWARE = [
    # Outermost: times and counts every answer (project.metrics).
    "project.metrics.RequestMetricsMiddleware",
    "project.middleware.RequestLogMiddleware",
    # Security headers first: /healthz, unknown hosts and static files answer early, below.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "project.health.HealthCheckMiddleware",
    "project.metrics_endpoint.MetricsEndpointMiddleware",
    "tenants.middleware.WorkspaceMiddleware",
    "project.middleware.ApiErrorShapeMiddleware",
    # Before anything reads the request: NUL characters, oversized or unreadable bodies.
    "project.middleware.InputCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "project.middleware.BindUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the session and the user (its refusal page is a page of the app), before views.
    "tenants.middleware.ReadOnlyWorkspaceMiddleware",
    # Last: sees the view's Http404 and ratelimit refusals before Django's debug pages do.
    "project.middleware.FriendlyErrorsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.workspace",
            ],
        },
    },
]
WSGI_APPLICATION = "project.wsgi.application"

# --- Accounts ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hash cost is not what tests check; keep the suite fast.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Email is unique per schema through a case-insensitive functional index (accounts.User),
# which Django's check does not recognise as uniqueness.
SILENCED_SYSTEM_CHECKS = ["auth.E003"]
SESSION_COOKIE_SECURE = STRICT
CSRF_COOKIE_SECURE = STRICT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx posts forms that carry {% csrf_token %}, and the
# scripts that post JSON (pipeline, settings) read the form's csrfmiddlewaretoken input.
CSRF_COOKIE_HTTPONLY = True
# The proxy (Caddy or nginx) terminates TLS and says so in X-Forwarded-Proto; it must set
# that header on every request it passes (a missing one would be redirected to https
# again). A plain-http request that reaches gunicorn is redirected to https, except the
# probes that come over the loopback without the proxy: the load balancer's /healthz and
# Prometheus' /metrics (SecurityMiddleware matches these against the path without "/").
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if STRICT else None
SECURE_SSL_REDIRECT = STRICT
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics/?$"]
if STRICT:
    # HSTS preload is a deliberate, slow-to-undo step (hstspreload.org): CRM_HSTS_PRELOAD
    # turns it on; without it `check --deploy` would warn on every correct deployment.
    SILENCED_SYSTEM_CHECKS += ["security.W021"]

# --- Security headers (every answer: see MIDDLEWARE) ---------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS only where the site is served over https: dev and test are plain http on localhost.
SECURE_HSTS_SECONDS = int(env.get("CRM_HSTS_SECONDS", "31536000")) if STRICT else 0
try:
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.parse_bool(
        "CRM_HSTS_INCLUDE_SUBDOMAINS", env.get("CRM_HSTS_INCLUDE_SUBDOMAINS"), default=True
    )
    SECURE_HSTS_PRELOAD = config.parse_bool(
        "CRM_HSTS_PRELOAD", env.get("CRM_HSTS_PRELOAD"), default=False
    )
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None
# Sign-up on the apex hands over to the new workspace's domain: a form's redirect may go
# to our own subdomains, and nowhere else (browsers apply form-action to the redirect too,
# so a form answered by a redirect to a payment page needs that page's origin here).
_public_port = f":{CRM_PUBLIC_PORT}" if CRM_PUBLIC_PORT else ""
_own_origins = [
    f"{CRM_PUBLIC_SCHEME}://{CRM_BASE_DOMAIN}{_public_port}",
    f"{CRM_PUBLIC_SCHEME}://*.{CRM_BASE_DOMAIN}{_public_port}",
]
# Scripts and styles only from our static files (htmx included): no inline code, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "form-action": [csp.SELF, *_own_origins],
        "frame-ancestors": [csp.NONE],
    },
}

# --- Rate limits -------------------------------------------------------------------------
RATELIMIT_USE_CACHE = "default"
CRM_SIGNUP_RATE = env.get("CRM_SIGNUP_RATE", "10/h")
CRM_LOGIN_RATE_IP = env.get("CRM_LOGIN_RATE_IP", "30/m")
CRM_LOGIN_RATE_EMAIL = env.get("CRM_LOGIN_RATE_EMAIL", "10/m")
CRM_API_RATE_KEY = env.get("CRM_API_RATE_KEY", "600/m")
CRM_WAITLIST_RATE = env.get("CRM_WAITLIST_RATE", "10/h")
CRM_FIND_WORKSPACE_RATE_IP = env.get("CRM_FIND_WORKSPACE_RATE_IP", "10/h")
CRM_FIND_WORKSPACE_RATE_EMAIL = env.get("CRM_FIND_WORKSPACE_RATE_EMAIL", "3/h")
# After this many failed sign-ins in a row an account is locked for CRM_LOCKOUT_SECONDS.
CRM_LOCKOUT_FAILURES = int(env.get("CRM_LOCKOUT_FAILURES", "5"))
CRM_LOCKOUT_SECONDS = int(env.get("CRM_LOCKOUT_SECONDS", "900"))
# Behind a proxy every request comes from the proxy's address; name the META key that holds
# the client's (e.g. HTTP_X_REAL_IP) so per-IP limits count clients, not the proxy.
RATELIMIT_IP_META_KEY = env.get("CRM_CLIENT_IP_META_KEY") or None

# Imports up to this many rows run in the request; larger ones in a worker, with progress.
CRM_IMPORT_SYNC_MAX_ROWS = int(env.get("CRM_IMPORT_SYNC_MAX_ROWS", "2000"))

# SMS (issue 13): the region a phone number written without its country code is read in
# (an ISO 3166 code such as "US" or "GB"); every stored number is E.164.
CRM_DEFAULT_PHONE_REGION = env.get("CRM_DEFAULT_PHONE_REGION", "US").strip().upper()
# A campaign texts a lead only between these hours of the lead's own day (24-hour clock,
# start included, end excluded); texts due outside them wait for the next morning.
CRM_SMS_SENDING_FROM_HOUR = int(env.get("CRM_SMS_SENDING_FROM_HOUR", "8"))
CRM_SMS_SENDING_UNTIL_HOUR = int(env.get("CRM_SMS_SENDING_UNTIL_HOUR", "21"))
# Twilio takes one text per call: a sender makes a chunk's calls with this many threads
# and settles the chunk's outcomes together (a killed worker leaves at most a chunk to
# reconcile).
CRM_SMS_SEND_THREADS = int(env.get("CRM_SMS_SEND_THREADS", "8"))
CRM_SMS_SEND_CHUNK = int(env.get("CRM_SMS_SEND_CHUNK", "25"))

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_ACKS_LATE = True
# Keep our structlog handlers: worker lines are JSON in production like the web's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Tests give their real workers a queue of their own.
CELERY_TASK_DEFAULT_QUEUE = env.get("CRM_CELERY_QUEUE", "celery")

# --- Email delivery (campaigns and one-off emails) --------------------------------------
# Campaign email per second per workspace, unless the workspace has its own (console).
CRM_EMAIL_SEND_RATE = int(env.get("CRM_EMAIL_SEND_RATE", "1000"))
# Messages per Postmark batch call (Postmark takes at most 500).
CRM_SEND_BATCH_SIZE = min(500, int(env.get("CRM_SEND_BATCH_SIZE", "500")))
# Sender jobs that work on one campaign at once (they never take the same message).
CRM_SEND_PARALLEL = int(env.get("CRM_SEND_PARALLEL", "2"))
# A message claimed for sending and not settled within this many seconds is looked up at
# Postmark (message search) and sent again only if it never arrived there. Must outlast a
# Postmark call (POSTMARK_TIMEOUT_SECONDS).
CRM_SEND_LEASE_SECONDS = float(env.get("CRM_SEND_LEASE_SECONDS", "60"))
# How often the beat looks for scheduled campaigns that are due and sends that stalled.
CRM_SEND_SWEEP_SECONDS = float(env.get("CRM_SEND_SWEEP_SECONDS", "10"))
# Backoff after a failed Postmark call: base * 2^(failures - 1), at most the cap, unless
# Postmark says how long to wait (Retry-After).
CRM_SEND_BACKOFF_BASE_SECONDS = float(env.get("CRM_SEND_BACKOFF_BASE_SECONDS", "1"))
CRM_SEND_BACKOFF_MAX_SECONDS = float(env.get("CRM_SEND_BACKOFF_MAX_SECONDS", "300"))
# A sender job hands over to a fresh one after this many seconds (keeps jobs short).
CRM_SEND_JOB_SECONDS = float(env.get("CRM_SEND_JOB_SECONDS", "240"))
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-sends": {
        "task": "outreach.sweep_pending_sends",
        "schedule": CRM_SEND_SWEEP_SECONDS,
    },
    # Trials that ended with no subscription move to the free plan's limits.
    "end-expired-trials": {"task": "billing.end_expired_trials", "schedule": 3600.0},
}

# --- Internationalisation and static files -----------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Our own files, then what `make assets` builds from frontend/ (Tailwind CSS, Chart.js,
# SortableJS): built on every machine, never committed.
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "build" / "static"]
WHITENOISE_USE_FINDERS = not STRICT

# --- Release ------------------------------------------------------------------------------
# deploy/release writes the release id into REVISION at the root of each release; /healthz
# reports it, read once at start (a reload starts new workers, which read the new one).
_revision_file = BASE_DIR / "REVISION"
CRM_RELEASE = _revision_file.read_text().strip() if _revision_file.is_file() else "development"

# --- Logs and monitoring -----------------------------------------------------------------
LOG_FORMAT = env.get("LOG_FORMAT", "json" if STRICT else "console")
LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
LOGGING_CONFIG = None
configure_structlog()
import logging.config  # noqa: E402 - after structlog is configured

logging.config.dictConfig(build_logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL))

SENTRY_DSN = env.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from project.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env.get("SENTRY_ENVIRONMENT", PROFILE),
        # Events name the release that raised them: the release directory's id unless set.
        release=env.get("SENTRY_RELEASE")
        or (None if CRM_RELEASE == "development" else CRM_RELEASE),
        traces_sample_rate=float(env.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- Metrics (project/metrics.py; GET /metrics on the apex host) ---------------------------
# Set: scrapes send Authorization: Bearer <token>. Empty: only direct loopback requests.
# Staging and production refuse a short one (config.refuse_unsafe_production).
CRM_METRICS_TOKEN = env.get("CRM_METRICS_TOKEN", "").strip()

# --- External services (faked on the loopback address in tests) ---------------------------
STRIPE_API_BASE = env.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_SECRET_KEY = env.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env.get("STRIPE_WEBHOOK_SECRET", "")
# The signing secret of the Connect endpoint (events from the workspaces' own accounts);
# the same URL, /webhooks/stripe, takes both kinds.
STRIPE_CONNECT_WEBHOOK_SECRET = env.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")
# Seconds a webhook's signed timestamp stays acceptable (stripe's own default, 300).
STRIPE_WEBHOOK_TOLERANCE_SECONDS = int(env.get("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300"))
STRIPE_TIMEOUT_SECONDS = float(env.get("STRIPE_TIMEOUT_SECONDS", "20"))
# Retries the stripe client makes itself on a network error, 409, 429 or 5xx (same
# idempotency key each time).
STRIPE_MAX_NETWORK_RETRIES = int(env.get("STRIPE_MAX_NETWORK_RETRIES", "2"))
# The plan a new workspace trials (a billing.Plan slug), and the plan it falls back to when
# the trial ends unpaid.
CRM_TRIAL_PLAN = env.get("CRM_TRIAL_PLAN", "growth")
CRM_FREE_PLAN = env.get("CRM_FREE_PLAN", "free")
# Days a workspace whose subscription ended keeps working before it turns read-only.
CRM_BILLING_GRACE_DAYS = int(env.get("CRM_BILLING_GRACE_DAYS", "7"))
POSTMARK_API_URL = env.get("POSTMARK_API_URL", "https://api.postmarkapp.com/")
POSTMARK_SERVER_TOKEN = env.get("POSTMARK_SERVER_TOKEN", "")
POSTMARK_TIMEOUT_SECONDS = float(env.get("POSTMARK_TIMEOUT_SECONDS", "10"))
# The Postmark account's token: registers and verifies each workspace's sending domain
# (Domains API). Empty: workspaces send from CRM_EMAIL_FROM only.
POSTMARK_ACCOUNT_TOKEN = env.get("POSTMARK_ACCOUNT_TOKEN", "")
# Postmark message streams: one-off and account email, and campaigns.
POSTMARK_TRANSACTIONAL_STREAM = env.get("POSTMARK_TRANSACTIONAL_STREAM", "outbound")
POSTMARK_BROADCAST_STREAM = env.get("POSTMARK_BROADCAST_STREAM", "broadcast")
CRM_EMAIL_FROM = env.get("CRM_EMAIL_FROM", f"Cohort CRM <no-reply@{CRM_BASE_DOMAIN}>")

# --- Backups (backups app: manage.py backup / restore_workspace) -------------------------
# Where backups go: a directory, or S3-compatible storage when CRM_BACKUP_URL is
# s3://bucket/prefix (credentials from the usual AWS_* variables; the endpoint for a
# non-AWS store in CRM_BACKUP_S3_ENDPOINT_URL).
CRM_BACKUP_DIR = env.get("CRM_BACKUP_DIR", "/var/backups/crm")
CRM_BACKUP_URL = env.get("CRM_BACKUP_URL", "")
CRM_BACKUP_S3_ENDPOINT_URL = env.get("CRM_BACKUP_S3_ENDPOINT_URL", "") or None
# Complete backups older than this many days are pruned after each backup (the newest is
# always kept); CRM_BACKUP_RETENTION_COUNT > 0 also keeps at most that many.
CRM_BACKUP_RETENTION_DAYS = int(env.get("CRM_BACKUP_RETENTION_DAYS", "14"))
CRM_BACKUP_RETENTION_COUNT = int(env.get("CRM_BACKUP_RETENTION_COUNT", "0"))
# pg_dump processes at once (one per workspace schema, all on the same snapshot).
CRM_BACKUP_JOBS = int(env.get("CRM_BACKUP_JOBS", "2"))
# The directory holding pg_dump, pg_restore (the server's major version); empty: PATH.
CRM_PG_BIN = env.get("CRM_PG_BIN", "")

# --- SMS (issue 13): Twilio through the official client, secrets encrypted at rest -------
# Fernet keys for credentials at rest (CRM_FIELD_ENCRYPTION_KEY, comma-separated: the first
# encrypts, all decrypt). Unset: one derived from SECRET_KEY (dev and test; strict refuse).
try:
    CRM_FIELD_ENCRYPTION_KEYS = config.field_encryption_keys(env, secret_key=SECRET_KEY)
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None
# Where the twilio client sends its calls (tests point it at a loopback double).
TWILIO_API_BASE = env.get("TWILIO_API_BASE", "https://api.twilio.com").rstrip("/")
TWILIO_TIMEOUT_SECONDS = float(env.get("TWILIO_TIMEOUT_SECONDS", "10"))
