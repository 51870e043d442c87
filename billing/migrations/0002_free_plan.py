"""The one plan on sale until billing lands: Free. Billing's issue adds the paid plans."""

from decimal import Decimal

from django.db import migrations


def add_free_plan(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.update_or_create(
        slug="free",
        defaults={
            "name": "Free",
            "tagline": "Everything you need to run a coaching business on your own.",
            "currency": "USD",
            "monthly_price": Decimal("0"),
            "yearly_price": Decimal("0"),
            "seat_limit": 2,
            "lead_limit": 1000,
            "monthly_email_limit": 2500,
            "trial_days": 0,
            "is_active": True,
            "order": 0,
        },
    )


def remove_free_plan(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(slug="free").delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(add_free_plan, remove_free_plan)]
