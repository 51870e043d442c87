"""A new additive migration for the payments app, as a release would bring one: a nullable
column and an index on it. Used where migrations are run for real against many workspaces
(the release and interruption tests, bench/migrate_workspaces.py)."""

from __future__ import annotations


def additive_migration(column: str) -> str:
    """The migration's source, adding `column`; `{last}` is left for the caller to fill with
    the app's latest migration (`.format(last=...)`)."""
    return f"""from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "{{last}}")]
    operations = [
        migrations.AddField(
            model_name="payment",
            name="{column}",
            field=models.CharField(max_length=40, null=True, blank=True),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(fields=["{column}"], name="payments_{column}_idx"),
        ),
    ]
"""
