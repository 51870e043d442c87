"""File every active account of the existing workspaces in the member directory.

From here on the account services keep it right in the same transaction as each change;
this walk over the schemas runs once, at migration time, never per request.
"""

import hashlib

from django.db import migrations


def backfill(apps, schema_editor):
    Workspace = apps.get_model("tenants", "Workspace")
    MemberAddress = apps.get_model("tenants", "MemberAddress")
    connection = schema_editor.connection
    workspaces = list(
        Workspace.objects.exclude(schema_name="public").values_list("pk", "schema_name")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'accounts_user'"
        )
        with_users = {row[0] for row in cursor.fetchall()}
        for workspace_id, schema_name in workspaces:
            if schema_name not in with_users:
                continue
            table = f"{connection.ops.quote_name(schema_name)}.accounts_user"
            cursor.execute(f"SELECT id, email FROM {table} WHERE is_active")  # noqa: S608
            MemberAddress.objects.bulk_create(
                [
                    MemberAddress(
                        workspace_id=workspace_id,
                        user_id=user_id,
                        email_hash=hashlib.sha256(email.strip().lower().encode()).hexdigest(),
                    )
                    for user_id, email in cursor.fetchall()
                ],
                ignore_conflicts=True,
            )


class Migration(migrations.Migration):
    dependencies = [("tenants", "0008_waitlist_member_directory")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
