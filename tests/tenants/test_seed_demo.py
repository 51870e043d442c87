"""seed_demo: the demo workspace with known logins, again and again, never in production."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import User
from billing.payments.models import Payment
from crm.models import EventLog, Lead, Message, Product, Task
from outreach.models import Campaign, EmailSettings
from tenants.models import Workspace
from tenants.services.demo import DEMO_LOGINS


def test_seed_demo_is_idempotent_and_every_printed_login_works(db, capsys) -> None:
    call_command("seed_demo")
    with schema_context("ws_demo"):
        User.objects.filter(role="admin").update(password="changed-by-a-developer")
    call_command("seed_demo")

    printed = capsys.readouterr().out
    assert Workspace.objects.filter(slug="demo").count() == 1
    for login in DEMO_LOGINS:
        assert f"{login.email}  /  {login.password}" in printed
        response = Client(HTTP_HOST="demo.localhost").post(
            "/login/", {"email": login.email, "password": login.password}
        )
        assert response.status_code == 302, login.role
    with schema_context("ws_demo"):
        assert sorted(User.objects.values_list("role", flat=True)) == ["admin", "member", "owner"]
        assert Lead.objects.count() == 2000  # seeded once, not twice
        assert Product.objects.count() == 5
        assert Message.objects.exists() and Task.objects.exists()
        assert EventLog.objects.filter(object_type="lead").count() == 2000
        assert EmailSettings.objects.get().postal_address  # campaigns can be sent at once
        assert Campaign.objects.get(channel="email").status == "draft"
        assert Campaign.objects.get(channel="sms").status == "draft"  # a text to preview too
        assert Payment.objects.count() == 60  # a year of revenue on the dashboard, made once
        assert not Payment.objects.exclude(lead__status="customer").exists()


@override_settings(STRICT=True)
def test_seed_demo_refuses_in_production(db) -> None:
    with pytest.raises(CommandError, match="only runs in the dev and test profiles"):
        call_command("seed_demo")

    assert not Workspace.objects.filter(slug="demo").exists()
