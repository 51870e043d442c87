"""A workspace's own Stripe account (Connect), as the settings page and the sales read it."""

from __future__ import annotations

from billing.models import ConnectAccount
from billing.payments.errors import PaymentsNotReady
from tenants.schemas import current_workspace


def workspace_connect_account() -> ConnectAccount | None:
    """The current workspace's connected account, or None before it starts connecting."""
    return ConnectAccount.objects.filter(workspace_id=current_workspace().pk).first()


def ready_connect_account() -> ConnectAccount:
    """The account sales are made in; raises PaymentsNotReady (409) when there is none yet or
    Stripe cannot take charges on it (onboarding unfinished)."""
    account = workspace_connect_account()
    if account is None:
        raise PaymentsNotReady()
    if not account.is_ready:
        raise PaymentsNotReady(
            "Stripe cannot take charges on this workspace's account yet: finish Stripe's "
            "onboarding from Settings -> Payments (Continue setup), then try again."
        )
    return account
