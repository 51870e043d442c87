"""pg_trgm, installed once in the public schema, serves lead search in every workspace
(workspace connections search "<schema>, public")."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_public_workspace")]

    operations = [TrigramExtension()]
