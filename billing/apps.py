from typing import Any

from django.apps import AppConfig


class BillingConfig(AppConfig):
    """Plans, subscriptions and Stripe webhooks (public); product checkout (tenant)."""

    name = "billing"

    def ready(self) -> None:
        from tenants.limits import name_plans_with
        from tenants.signals import workspace_created

        workspace_created.connect(open_account_on_sign_up, dispatch_uid="billing_open_account")
        name_plans_with(plan_name_of)


def open_account_on_sign_up(
    sender: Any, *, workspace: Any, owner_email: str = "", **kwargs: Any
) -> None:
    from billing.services.accounts import open_billing_account

    open_billing_account(workspace=workspace, owner_email=owner_email)


def plan_name_of(workspace: Any) -> str | None:
    """The workspace's plan by name, for tenants' limit messages ("Your Growth plan...")."""
    from billing.models import BillingAccount

    return (
        BillingAccount.objects.filter(workspace_id=workspace.pk)
        .values_list("plan__name", flat=True)
        .first()
    )
