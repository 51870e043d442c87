"""The tag catalogue that a lead page's suggestions read, filled from the tags leads already
have (one pass over the leads, once), and an index for a lead's open tasks by due time."""

import django.utils.timezone
from django.db import migrations, models

FILL = """
INSERT INTO crm_leadtag (name, created_at)
SELECT DISTINCT tag, now() FROM crm_lead, unnest(tags) AS tag
ON CONFLICT (name) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_lead_owner_stage_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=50, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["name"],
                "indexes": [
                    models.Index(
                        fields=["name"],
                        name="crm_leadtag_prefix_idx",
                        opclasses=["varchar_pattern_ops"],
                    )
                ],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=["lead", "due_at"],
                name="crm_task_lead_open_idx",
            ),
        ),
    ]
