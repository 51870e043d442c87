"""Every workspace starts with a usable pipeline (it lands in the template, then each clone)."""

from django.db import migrations

DEFAULT_STAGES = [
    ("New", 10),
    ("Contacted", 20),
    ("Qualified", 40),
    ("Proposal", 60),
    ("Won", 100),
    ("Lost", 0),
]


def create_default_pipeline(apps, schema_editor):
    PipelineStage = apps.get_model("crm", "PipelineStage")
    if PipelineStage.objects.exists():
        return
    PipelineStage.objects.bulk_create(
        PipelineStage(name=name, order=index, win_probability=probability)
        for index, (name, probability) in enumerate(DEFAULT_STAGES)
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_message_campaign")]

    operations = [migrations.RunPython(create_default_pipeline, migrations.RunPython.noop)]
