"""The real settings (so the real Sentry init runs) with the URLconf whose views fail on
purpose: what the Sentry test runs under gunicorn."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "tests.project.error_urls"
