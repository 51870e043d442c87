"""The apex domain is served from the first migration on: the public schema's workspace row
and its domain (CRM_BASE_DOMAIN at migrate time; the middleware recognises the apex by
setting too, so changing CRM_BASE_DOMAIN later needs no data fix)."""

from django.conf import settings
from django.db import migrations


def create_public_workspace(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    Domain = apps.get_model("tenants", "Domain")
    public, _ = Workspace.objects.get_or_create(
        schema_name="public", defaults={"name": "Platform", "slug": "public"}
    )
    Domain.objects.get_or_create(
        domain=settings.CRM_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )


def remove_public_workspace(apps, schema_editor):
    apps.get_model("tenants", "Workspace").objects.filter(schema_name="public").delete()


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_public_workspace, remove_public_workspace)]
