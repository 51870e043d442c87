"""Connecting a workspace's own Stripe account (Connect, Express) and keeping its readiness
as Stripe tells it: onboarding links, the return from onboarding, and `account.updated`.

The account create, retrieve and link calls are the platform's, about that account; every
call made *in* the account (prices, Checkout, payment links) carries `Stripe-Account`."""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from billing.models import ConnectAccount
from billing.payments.events import ConnectEvent
from billing.selectors.connect import workspace_connect_account
from billing.stripe_api import idempotent, stripe_client
from billing.stripe_calls import stripe_call
from crm.services.events import record_event
from project.errors import NotFound
from tenants.errors import WorkspaceReadOnly
from tenants.schemas import current_workspace

log = structlog.get_logger()

READINESS = ("charges_enabled", "payouts_enabled", "details_submitted")


def start_stripe_onboarding(*, actor: User, refresh_url: str, return_url: str) -> str:
    """The Stripe-hosted onboarding address for the current workspace's account, creating
    the account first if there is none (one per workspace, however often this is retried).
    Raises Forbidden for members, WorkspaceReadOnly once the workspace's subscription ended,
    StripeUnavailable when Stripe does not answer."""
    require(actor, Action.MANAGE_WORKSPACE)
    workspace = current_workspace()
    if workspace.is_read_only:
        raise WorkspaceReadOnly()
    account = workspace_connect_account()
    if account is None:
        with stripe_call("connect_account_create"):
            created = stripe_client().v1.accounts.create(
                params={
                    "type": "express",
                    "metadata": {"workspace_id": str(workspace.pk), "workspace": workspace.slug},
                    "business_profile": {"name": workspace.name},
                },
                options=idempotent("connect-account", workspace.pk),
            )
        account = _store_account(actor=actor, stripe_account=created.to_dict())
    with stripe_call("connect_account_link"):
        link = stripe_client().v1.account_links.create(
            params={
                "account": account.stripe_account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    return str(link.url)


@transaction.atomic
def _store_account(*, actor: User, stripe_account: dict[str, Any]) -> ConnectAccount:
    """The workspace's ConnectAccount row for the account Stripe made (the 1:1 and the unique
    account id keep it one row when two clicks race)."""
    workspace = current_workspace()
    account, created = ConnectAccount.objects.get_or_create(
        workspace_id=workspace.pk,
        defaults={
            "stripe_account_id": str(stripe_account["id"]),
            **{flag: bool(stripe_account.get(flag)) for flag in READINESS},
        },
    )
    if created:
        record_event(
            actor=actor,
            verb=ConnectEvent.CONNECT_STARTED,
            obj=account,
            changes={"stripe_account_id": account.stripe_account_id},
        )
        log.info("stripe_connect_started", stripe_account=account.stripe_account_id)
    return account


def refresh_stripe_account() -> ConnectAccount:
    """Fetch the workspace's account from Stripe and keep what it says (the return from
    onboarding). Raises NotFound before connecting, StripeUnavailable when Stripe is down."""
    account = workspace_connect_account()
    if account is None:
        raise NotFound("This workspace has not connected a Stripe account yet.")
    with stripe_call("connect_account_retrieve"):
        fetched = stripe_client().v1.accounts.retrieve(account.stripe_account_id)
    synced = sync_stripe_account(stripe_account=fetched.to_dict())
    assert synced is not None
    return synced


@transaction.atomic
def sync_stripe_account(*, stripe_account: dict[str, Any]) -> ConnectAccount | None:
    """Copy an account object's readiness onto its ConnectAccount (None when it is not the
    current workspace's). Derived from the object alone: replays and any order end the same."""
    account = (
        ConnectAccount.objects.select_for_update()
        .filter(
            workspace_id=current_workspace().pk,
            stripe_account_id=str(stripe_account.get("id", "")),
        )
        .first()
    )
    if account is None:
        return None
    changes = {
        flag: {"before": getattr(account, flag), "after": bool(stripe_account.get(flag))}
        for flag in READINESS
        if getattr(account, flag) != bool(stripe_account.get(flag))
    }
    if changes:
        for flag, change in changes.items():
            setattr(account, flag, change["after"])
        account.save(update_fields=[*changes, "updated"])
        record_event(actor=None, verb=ConnectEvent.CONNECT_UPDATED, obj=account, changes=changes)
        log.info(
            "stripe_connect_updated",
            stripe_account=account.stripe_account_id,
            **{flag: change["after"] for flag, change in changes.items()},
        )
    return account
