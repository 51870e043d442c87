"""Every workspace made before billing gets its account: on the trial plan
(CRM_TRIAL_PLAN, else Free), its trial starting now, the plan's limits copied onto the
workspace. The public workspace is the platform itself and gets none."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def open_accounts(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    BillingAccount = apps.get_model("billing", "BillingAccount")
    Workspace = apps.get_model("tenants", "Workspace")
    plan = (
        Plan.objects.filter(slug=settings.CRM_TRIAL_PLAN).first()
        or Plan.objects.filter(slug=settings.CRM_FREE_PLAN).first()
    )
    if plan is None:
        return
    now = timezone.now()
    trial_ends_at = now + timedelta(days=plan.trial_days) if plan.trial_days else None
    without_account = Workspace.objects.exclude(schema_name="public").exclude(
        pk__in=BillingAccount.objects.values("workspace_id")
    )
    for workspace in without_account:
        BillingAccount.objects.create(workspace=workspace, plan=plan, trial_ends_at=trial_ends_at)
        workspace.seat_limit = plan.seat_limit
        workspace.lead_limit = plan.lead_limit
        workspace.monthly_email_limit = plan.monthly_email_limit
        workspace.billing_status = "trialing" if trial_ends_at else "free"
        workspace.save(
            update_fields=["seat_limit", "lead_limit", "monthly_email_limit", "billing_status"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_paid_plans"),
        ("tenants", "0012_workspace_attribution_window"),
    ]
    operations = [migrations.RunPython(open_accounts, migrations.RunPython.noop)]
