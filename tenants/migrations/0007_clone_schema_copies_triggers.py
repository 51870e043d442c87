"""public.crm_clone_schema also copies each table's triggers (the lead tallies of crm.0005).

Trigger definitions are read like index definitions: pg_get_triggerdef qualifies the table
with the source schema, which is pointed at the destination; the functions they call live
in public and are shared.
"""

from importlib import import_module

from django.db import migrations

PREVIOUS = import_module("tenants.migrations.0004_clone_schema_function").CREATE

# Triggers go last (rank 4), after the rows are in, so copying rows fires none of them.
FOREIGN_KEYS = """         WHERE n.nspname = source AND con.contype = 'f'
    ) AS ddl;"""
WITH_TRIGGERS = """         WHERE n.nspname = source AND con.contype = 'f'
        UNION ALL
        SELECT 4, replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(source) || '.',
                          ' ON ' || quote_ident(dest) || '.')
          FROM pg_trigger t JOIN pg_class cl ON cl.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE n.nspname = source AND NOT t.tgisinternal
    ) AS ddl;"""
assert FOREIGN_KEYS in PREVIOUS
CREATE = PREVIOUS.replace(FOREIGN_KEYS, WITH_TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_pending_send_moves_to_mail")]

    operations = [migrations.RunSQL(CREATE, PREVIOUS)]
