"""The public-schema rows that belong to one workspace: saved with each backup, put back by a
restore according to what is being restored.

Saved: the Workspace row, its Domains and logo, its member directory (MemberAddress, keyed
by account ids of its schema), its pending sends (mail.PendingSend, which follow the
campaigns of its schema), and its billing rows (BillingAccount, ConnectAccount,
InvoiceNotice). Stripe events are a platform log, not the workspace's, and are left out.

Put back:
- over the existing workspace: what mirrors the schema (directory, pending sends, logo and
  the workspace's own settings) comes from the backup; what mirrors the outside world now
  (domains, billing rows, the plan limits copied onto the Workspace) stays as it is, since
  Stripe and DNS did not go back in time;
- into a database that lacks the workspace (disaster recovery): every saved row;
- as a copy under a new slug: the workspace's settings, logo and directory, one primary
  domain of its own, and a billing account on the same plan with no Stripe customer,
  subscription or Connect account (a copy never bills or pays out through the original's),
  and no pending sends (a copy does not resume the original's campaigns to the same leads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core import serializers
from django.db import connection, models

from backups.errors import BackupError
from billing.models import BillingAccount, ConnectAccount, InvoiceNotice, Plan
from mail.models import PendingSend
from tenants.models import Domain, MemberAddress, Workspace, WorkspaceLogo

# Rows hanging off the workspace by a `workspace` (or `tenant`) foreign key.
DEPENDENT_MODELS: list[type[models.Model]] = [
    Domain,
    WorkspaceLogo,
    MemberAddress,
    PendingSend,
    BillingAccount,
    ConnectAccount,
    InvoiceNotice,
]
# The Workspace fields that billing keeps in step with Stripe (left alone in place).
BILLING_MIRROR_FIELDS = [
    "seat_limit",
    "lead_limit",
    "monthly_email_limit",
    "monthly_sms_segment_limit",
    "billing_status",
    "read_only_from",
]
IDENTITY_FIELDS = ["id", "slug", "schema_name", "created"]


def _owner_field(model: type[models.Model]) -> str:
    return "tenant" if model is Domain else "workspace"


def serialize_public_rows(workspace: Workspace) -> str:
    """The workspace's public rows as JSON (Django's serializer, plus plan slugs by id)."""
    rows: list[models.Model] = [workspace]
    for model in DEPENDENT_MODELS:
        rows += list(
            model._default_manager.filter(**{_owner_field(model): workspace}).order_by("pk")
        )
    plans = dict(Plan.objects.values_list("pk", "slug"))
    return json.dumps(
        {
            "slug": workspace.slug,
            "plans": {str(pk): slug for pk, slug in plans.items()},
            "rows": json.loads(serializers.serialize("json", rows)),
        },
        indent=1,
    )


@dataclass
class SavedRows:
    workspace: Workspace
    dependents: dict[type[models.Model], list[models.Model]]
    plan_slugs: dict[int, str]

    def of(self, model: type[models.Model]) -> list[models.Model]:
        return self.dependents.get(model, [])


def read_public_rows(text: str) -> SavedRows:
    """The saved rows, as unsaved model instances; fields added since the backup take their
    defaults, fields removed since are ignored."""
    raw = json.loads(text)
    workspace: Workspace | None = None
    dependents: dict[type[models.Model], list[models.Model]] = {}
    for saved in serializers.deserialize(
        "json", json.dumps(raw["rows"]), ignorenonexistent=True, handle_forward_references=True
    ):
        instance = saved.object
        if isinstance(instance, Workspace):
            workspace = instance
        else:
            dependents.setdefault(type(instance), []).append(instance)
    if workspace is None:
        raise BackupError("The backup's public rows hold no workspace row.")
    plans = {int(pk): slug for pk, slug in raw.get("plans", {}).items()}
    return SavedRows(workspace, dependents, plans)


def _insert(instances: list[models.Model], *, workspace: Workspace) -> None:
    for instance in instances:
        instance.pk = None
        setattr(instance, _owner_field(type(instance)), workspace)
        instance.save(force_insert=True)


def _plan_for(saved: SavedRows, account: BillingAccount) -> Plan:
    slug = saved.plan_slugs.get(account.plan_id, "")
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        raise BackupError(
            f"The backup's billing account is on plan '{slug}', which this database does "
            "not have. Create the plan (billing seeds them by migration), then restore."
        )
    return plan


def replace_in_place(saved: SavedRows, *, workspace: Workspace) -> None:
    """Over the existing workspace: see the module's contract."""
    kept = set(BILLING_MIRROR_FIELDS) | set(IDENTITY_FIELDS)
    for concrete in Workspace._meta.concrete_fields:
        if concrete.attname not in kept:
            setattr(workspace, concrete.attname, getattr(saved.workspace, concrete.attname))
    workspace.save()
    for model in (WorkspaceLogo, MemberAddress, PendingSend):
        model._default_manager.filter(workspace=workspace).delete()
        _insert(saved.of(model), workspace=workspace)


def recreate(saved: SavedRows) -> Workspace:
    """Into a database that lacks the workspace: every saved row (new ids where taken)."""
    workspace = saved.workspace
    # Its id is kept when free: Stripe objects carry it in their metadata.
    if Workspace.objects.filter(pk=workspace.pk).exists():
        workspace.pk = None
    workspace.save(force_insert=True)
    with connection.cursor() as cursor:  # an id given explicitly does not move the sequence
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('tenants_workspace', 'id'), "
            "(SELECT max(id) FROM tenants_workspace))"
        )
    for account in saved.of(BillingAccount):
        assert isinstance(account, BillingAccount)
        account.plan = _plan_for(saved, account)
    taken = [
        str(domain)
        for domain in saved.of(Domain)
        if Domain.objects.filter(domain=str(domain)).exists()
    ]
    if taken:
        raise BackupError(
            f"Domain(s) {', '.join(taken)} already belong to another workspace here; "
            "restore it as a copy (--as new-slug) instead. Nothing was changed."
        )
    for model in DEPENDENT_MODELS:
        _insert(saved.of(model), workspace=workspace)
    return workspace


def create_copy(saved: SavedRows, *, slug: str, schema_name: str) -> Workspace:
    """As a copy under a new slug: see the module's contract."""
    workspace = saved.workspace
    workspace.pk = None
    workspace.slug = slug
    workspace.schema_name = schema_name
    workspace.save(force_insert=True)
    Domain.objects.create(domain=workspace.primary_host, tenant=workspace, is_primary=True)
    _insert(saved.of(WorkspaceLogo) + saved.of(MemberAddress), workspace=workspace)
    for account in saved.of(BillingAccount):
        assert isinstance(account, BillingAccount)
        copied = BillingAccount(
            plan=_plan_for(saved, account), interval=account.interval, trial_ends_at=None
        )
        _insert([copied], workspace=workspace)
    return workspace


def hosts_of(workspace: Workspace) -> list[str]:
    return list(Domain.objects.filter(tenant=workspace).values_list("domain", flat=True))
