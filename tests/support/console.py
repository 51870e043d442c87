"""A signed-in platform staff client for console tests that live outside test_console.py."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.users import create_user

STAFF_EMAIL = "staff@platform.example"
STAFF_PASSWORD = "console staff passphrase 42"


def make_staff_user(email: str = STAFF_EMAIL) -> User:
    with schema_context("public"):
        return create_user(
            email=email, password=STAFF_PASSWORD, full_name="Sam Staff", is_staff=True
        )


def staff_console_client(email: str = STAFF_EMAIL) -> Client:
    client = Client(HTTP_HOST="localhost")
    response = client.post("/console/login/", {"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.content
    return client
