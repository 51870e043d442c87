"""The public member directory that 'find my workspace' reads stays right after every
account change, in the same transaction: a change rolled back takes its entry back too."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from accounts.errors import EmailTaken
from accounts.models import User
from accounts.services.team import (
    accept_invitation,
    change_member_email,
    deactivate_member,
    invite_member,
    reactivate_member,
)
from tenants.models import MemberAddress, Workspace
from tenants.selectors.member_directory import workspaces_with_active_account
from tenants.services.provisioning import create_workspace
from tenants.services.workspaces import delete_workspace
from tests.support.clients import OWNER_PASSWORD, add_member, link_in, outbox_of
from tests.support.console import make_staff_user


class RolledBack(Exception):
    pass


def slugs_for(email: str) -> list[str]:
    return [workspace.slug for workspace in workspaces_with_active_account(email=email)]


def owner_of(fixture) -> User:
    return User.objects.get(role=User.Role.OWNER)


def test_a_new_workspace_files_its_owner(make_workspace) -> None:
    make_workspace("alpha")

    assert slugs_for("OWNER@alpha.example") == ["alpha"]


def test_a_failed_workspace_creation_leaves_no_entry(db) -> None:
    def broken_schema(schema_name: str) -> None:
        raise RolledBack

    with pytest.raises(RolledBack):
        create_workspace(
            name="Broken",
            slug="broken",
            owner_email="owner@broken.example",
            owner_password=OWNER_PASSWORD,
            build_schema=broken_schema,
        )

    assert slugs_for("owner@broken.example") == []
    assert not MemberAddress.objects.exists()


def test_an_accepted_invitation_files_the_new_member(make_workspace) -> None:
    fixture = make_workspace("alpha")
    with schema_context(fixture.workspace.schema_name):
        invite_member(
            actor=owner_of(fixture),
            email="new@team.example",
            role=User.Role.MEMBER,
            base_url=fixture.workspace.url,
        )
        assert slugs_for("new@team.example") == []  # invited is not yet a member
        token = link_in(outbox_of(fixture.workspace)[-1], "/invite/accept/").split("token=")[1]
        accept_invitation(raw_token=token, full_name="New", password=OWNER_PASSWORD)

    assert slugs_for("new@team.example") == ["alpha"]


def test_deactivation_removes_and_reactivation_restores_the_entry(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_member(alpha.workspace, User.Role.MEMBER, "sam@shared.example")
    member = add_member(beta.workspace, User.Role.MEMBER, "sam@shared.example")
    with schema_context(beta.workspace.schema_name):
        owner = owner_of(beta)
        deactivate_member(actor=owner, member_id=member.pk)
        assert slugs_for("sam@shared.example") == ["alpha"]
        reactivate_member(actor=owner, member_id=member.pk)

    assert slugs_for("sam@shared.example") == ["alpha", "beta"]


def test_an_email_change_moves_the_entry_to_the_new_address(make_workspace) -> None:
    fixture = make_workspace("alpha")
    member = add_member(fixture.workspace, User.Role.MEMBER, "old@team.example")
    with schema_context(fixture.workspace.schema_name):
        change_member_email(actor=member, member_id=member.pk, email="New@Team.example")

    assert slugs_for("old@team.example") == []
    assert slugs_for("new@team.example") == ["alpha"]


def test_a_refused_email_change_keeps_the_entry(make_workspace) -> None:
    fixture = make_workspace("alpha")
    member = add_member(fixture.workspace, User.Role.MEMBER, "old@team.example")
    with schema_context(fixture.workspace.schema_name), pytest.raises(EmailTaken):
        change_member_email(actor=member, member_id=member.pk, email=fixture.owner_email)

    assert slugs_for("old@team.example") == ["alpha"]


@pytest.mark.parametrize("change", ["create", "deactivate", "email"])
def test_a_change_rolled_back_takes_its_directory_change_back(make_workspace, change) -> None:
    fixture = make_workspace("alpha")
    member = add_member(fixture.workspace, User.Role.MEMBER, "kept@team.example")
    with schema_context(fixture.workspace.schema_name):
        owner = owner_of(fixture)
        with pytest.raises(RolledBack), transaction.atomic():
            if change == "create":
                add_member(fixture.workspace, User.Role.MEMBER, "ghost@team.example")
            elif change == "deactivate":
                deactivate_member(actor=owner, member_id=member.pk)
            else:
                change_member_email(actor=owner, member_id=member.pk, email="moved@team.example")
            raise RolledBack

    assert slugs_for("ghost@team.example") == []
    assert slugs_for("moved@team.example") == []
    assert slugs_for("kept@team.example") == ["alpha"]


def test_deleting_a_workspace_deletes_its_entries(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_member(alpha.workspace, User.Role.MEMBER, "sam@shared.example")
    add_member(beta.workspace, User.Role.MEMBER, "sam@shared.example")
    with schema_context(alpha.workspace.schema_name):
        delete_workspace(actor=owner_of(alpha), workspace=alpha.workspace, confirm_slug="alpha")

    assert slugs_for("sam@shared.example") == ["beta"]
    assert not MemberAddress.objects.filter(workspace_id=alpha.workspace.pk).exists()


def test_staff_accounts_are_not_filed(db) -> None:
    make_staff_user("staff@platform.example")

    assert slugs_for("staff@platform.example") == []
    assert not MemberAddress.objects.exists()


def test_the_directory_keeps_no_address_in_the_clear(make_workspace) -> None:
    make_workspace("alpha")

    [entry] = MemberAddress.objects.values_list("email_hash", flat=True)
    assert "@" not in entry and len(entry) == 64
    assert Workspace.objects.filter(slug="alpha").exists()


def test_the_migration_backfills_the_active_accounts_of_existing_workspaces(
    two_workspaces,
) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    alpha, beta = two_workspaces
    add_member(alpha.workspace, User.Role.MEMBER, "sam@shared.example")
    gone = add_member(beta.workspace, User.Role.MEMBER, "sam@shared.example")
    with schema_context(beta.workspace.schema_name):
        User.objects.filter(pk=gone.pk).update(is_active=False)
    MemberAddress.objects.all().delete()  # a database from before the directory

    migration = importlib.import_module("tenants.migrations.0009_backfill_member_directory")
    migration.backfill(apps, SimpleNamespace(connection=connection))

    assert slugs_for("sam@shared.example") == ["alpha"]
    assert slugs_for(alpha.owner_email) == ["alpha"]
    assert slugs_for(beta.owner_email) == ["beta"]
