"""public.crm_clone_schema(source, dest): a new workspace schema as a copy of the template.

Written for our schemas (tables, their indexes, constraints and identity columns, foreign
keys between them, and their rows, every object under its template name), in one round trip; django-tenants' general-purpose
clone function walks every kind of object in PL/pgSQL and costs several times more.
Foreign-key definitions are read with the search path on the source schema, so they come
back unqualified, and are applied with it on the destination, so they point there.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION public.crm_clone_schema(source text, dest text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    saved_path text := current_setting('search_path');
    tbl record;
    col record;
    statements text[];
    statement text;
BEGIN
    EXECUTE format('CREATE SCHEMA %I', dest);
    -- Columns, defaults, identity and CHECK constraints; rows copied before any index.
    FOR tbl IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = source AND c.relkind = 'r' ORDER BY c.relname
    LOOP
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING IDENTITY '
                       'INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING STORAGE)',
                       dest, tbl.relname, source, tbl.relname);
        EXECUTE format('INSERT INTO %I.%I OVERRIDING SYSTEM VALUE SELECT * FROM %I.%I',
                       dest, tbl.relname, source, tbl.relname);
        FOR col IN
            SELECT a.attname FROM pg_attribute a
            WHERE a.attrelid = format('%I.%I', source, tbl.relname)::regclass
              AND a.attidentity <> '' AND NOT a.attisdropped
        LOOP
            EXECUTE format(
                'SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE(max(%I), 0) + 1, false)'
                ' FROM %I.%I',
                format('%I.%I', dest, tbl.relname), col.attname, col.attname, dest, tbl.relname);
        END LOOP;
    END LOOP;
    -- Keys, indexes and foreign keys under their own names, read with the search path on
    -- the source (so they come back unqualified) and applied with it on the destination.
    PERFORM set_config('search_path', quote_ident(source), true);
    SELECT array_agg(stmt ORDER BY rank, stmt) INTO statements FROM (
        SELECT 1 AS rank, format('ALTER TABLE %I ADD CONSTRAINT %I %s', cl.relname,
                                 con.conname, pg_get_constraintdef(con.oid)) AS stmt
          FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE n.nspname = source AND con.contype IN ('p', 'u', 'x')
        UNION ALL
        -- pg_get_indexdef always qualifies the table: point it at the destination.
        SELECT 2, replace(pg_get_indexdef(i.indexrelid), ' ON ' || quote_ident(source) || '.',
                          ' ON ' || quote_ident(dest) || '.')
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = ic.relnamespace
         WHERE n.nspname = source
           AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                           AND con.contype IN ('p', 'u', 'x'))
        UNION ALL
        SELECT 3, format('ALTER TABLE %I ADD CONSTRAINT %I %s', cl.relname, con.conname,
                         pg_get_constraintdef(con.oid))
          FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE n.nspname = source AND con.contype = 'f'
    ) AS ddl;
    PERFORM set_config('search_path', quote_ident(dest) || ', public', true);
    FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP
        EXECUTE statement;
    END LOOP;
    PERFORM set_config('search_path', saved_path, true);
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_pg_trgm")]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS public.crm_clone_schema(text, text)")
    ]
