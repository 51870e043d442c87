"""`make run` prints the demo logins with the roles they hold now, read from the database."""

from __future__ import annotations

from django.core.management import call_command
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.team import transfer_ownership


def test_the_printed_roles_follow_a_transfer_of_ownership(db, capsys) -> None:
    call_command("seed_demo")
    first = capsys.readouterr().out
    with schema_context("ws_demo"):
        owner = User.objects.get(email="owner@demo.example")
        admin = User.objects.get(email="admin@demo.example")
        transfer_ownership(actor=owner, new_owner_id=admin.pk)

    call_command("seed_demo")

    printed = capsys.readouterr().out
    assert "  owner   owner@demo.example" in first
    assert "  owner   admin@demo.example  /  demo-admin-passphrase" in printed
    assert "  admin   owner@demo.example  /  demo-owner-passphrase" in printed
    assert printed.index("admin@demo.example") < printed.index("owner@demo.example")
