"""The paid plans beside Free (which stays as it is): Starter, Growth and Scale, each with
a 14-day trial. Their Stripe price ids are set in the console once the prices exist."""

from decimal import Decimal

from django.db import migrations

PAID_PLANS = [
    {
        "slug": "starter",
        "name": "Starter",
        "tagline": "For a coach with a small team and a growing list.",
        "monthly_price": Decimal("29"),
        "yearly_price": Decimal("290"),
        "seat_limit": 3,
        "lead_limit": 5_000,
        "monthly_email_limit": 10_000,
        "order": 1,
    },
    {
        "slug": "growth",
        "name": "Growth",
        "tagline": "For course businesses that launch to tens of thousands.",
        "monthly_price": Decimal("79"),
        "yearly_price": Decimal("790"),
        "seat_limit": 10,
        "lead_limit": 50_000,
        "monthly_email_limit": 100_000,
        "order": 2,
    },
    {
        "slug": "scale",
        "name": "Scale",
        "tagline": "No limits: every seat, every lead and every email you need.",
        "monthly_price": Decimal("199"),
        "yearly_price": Decimal("1990"),
        "seat_limit": None,
        "lead_limit": None,
        "monthly_email_limit": None,
        "order": 3,
    },
]


def add_paid_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for plan in PAID_PLANS:
        fields = {key: value for key, value in plan.items() if key != "slug"}
        Plan.objects.update_or_create(
            slug=plan["slug"],
            defaults={**fields, "currency": "USD", "trial_days": 14, "is_active": True},
        )


def remove_paid_plans(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(slug__in=[plan["slug"] for plan in PAID_PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_invoice_notice")]
    operations = [migrations.RunPython(add_paid_plans, remove_paid_plans)]
