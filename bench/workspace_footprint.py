"""What one workspace costs PostgreSQL (issue 12, item 8): disk and catalog rows per empty
workspace, and the memory a backend connection grows by for every workspace schema it
touches (relcache and catcache entries are per relation, and every schema has its own
relations), measured at 1,000 workspaces and extrapolated to 10,000.

- Disk and catalog: pg_database_size and the row counts of pg_class, pg_attribute, pg_index,
  pg_depend, pg_constraint and pg_type before and after cloning N workspaces from the
  template (bench/migrate_workspaces.make_workspaces, as provisioning does), divided by N.
- Memory: a fresh connection runs the leads page's query (25 leads with their stage and
  owner, and the count) in one workspace once; in one workspace N times (the baseline: same
  number of queries, one schema); and once in each of the N workspaces, reading the backend's
  memory every 100 schemas: /proc/<pid>/smaps_rollup (readable as root, or as the postgres
  user) and pg_backend_memory_contexts (CacheMemoryContext: relcache and catcache). The
  growth per schema is the median of those steps, leaving out steps where the caches were
  reset (the cluster's invalidation queue overflowed: DDL in any of its databases).

Prints JSON. Its own database (crm_bench_footprint), dropped and made again at the start,
dropped at the end (BENCH_KEEP_DATABASE=1 keeps it). Run from the repository root:
.venv/bin/python bench/workspace_footprint.py
BENCH_WORKSPACES (1000), BENCH_EXTRAPOLATE_TO (10000)."""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_footprint")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, prepare_django
from migrate_workspaces import make_workspaces

WORKSPACES = int(os.environ.get("BENCH_WORKSPACES", "1000"))
EXTRAPOLATE_TO = int(os.environ.get("BENCH_EXTRAPOLATE_TO", "10000"))
STEP = 100
KEEP_DATABASE = os.environ.get("BENCH_KEEP_DATABASE", "") == "1"
CATALOGS = ("pg_class", "pg_attribute", "pg_index", "pg_depend", "pg_constraint", "pg_type")
MB = 1024 * 1024


def database_footprint() -> dict[str, int]:
    """The database's size on disk, its catalog tables' size, and their row counts."""
    from django.db import connection

    counts = " UNION ALL ".join(
        f"SELECT '{name}', count(*) FROM pg_catalog.{name}"  # fixed names
        for name in CATALOGS
    )
    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
        cursor.execute("SELECT pg_database_size(current_database())")
        footprint = {"database_bytes": int(cursor.fetchone()[0])}
        cursor.execute(
            "SELECT sum(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'"
        )
        footprint["catalog_bytes"] = int(cursor.fetchone()[0])
        cursor.execute(counts)
        footprint.update({name: int(rows) for name, rows in cursor.fetchall()})
    return footprint


def leads_page_query(schema: str) -> None:
    """What the leads page asks of a workspace: a page of leads with stage and owner, and
    how many there are (through the ORM, django-tenants setting search_path)."""
    from django_tenants.utils import schema_context

    from crm.models import Lead

    with schema_context(schema):
        list(Lead.objects.select_related("stage", "owner").order_by("-created_at")[:25])
        Lead.objects.count()


def backend_memory() -> dict[str, Any]:
    """The current connection's backend: RSS, PSS and private (anonymous and private pages)
    from smaps_rollup, and the bytes held by its CacheMemoryContext and its children."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
        memory: dict[str, Any] = {"pid": pid}
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError as error:  # not root, or PostgreSQL on another host
            memory["smaps_rollup"] = f"unreadable: {error.strerror}"
        else:
            fields = {
                line.split(":")[0]: int(line.split()[1])
                for line in rollup.splitlines()[1:]
                if line.endswith(" kB")
            }
            memory["rss_kb"] = fields["Rss"]
            memory["pss_kb"] = fields["Pss"]
            memory["private_kb"] = fields["Private_Clean"] + fields["Private_Dirty"]
        cursor.execute(
            "SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts "
            "WHERE name = 'CacheMemoryContext' OR parent = 'CacheMemoryContext'"
        )
        memory["cache_context_kb"] = int(cursor.fetchone()[0]) // 1024
        cursor.execute("SELECT sum(total_bytes) FROM pg_backend_memory_contexts")
        memory["all_contexts_kb"] = int(cursor.fetchone()[0]) // 1024
    return memory


def on_a_fresh_connection(schemas: list[str]) -> dict[str, Any]:
    """Open a new connection, run the leads page's query once per entry of `schemas` (in
    order), then read the backend's memory."""
    from django.db import connection

    connection.close()
    connection.ensure_connection()
    started = time.perf_counter()
    for schema in schemas:
        leads_page_query(schema)
    seconds = time.perf_counter() - started
    return {
        "queries": len(schemas),
        "distinct_schemas": len(set(schemas)),
        "ms_per_page_query": round(seconds * 1000 / len(schemas), 2),
        **backend_memory(),
    }


def touching_in_steps(schemas: list[str], *, step: int) -> dict[str, Any]:
    """A fresh connection runs the leads page's query once in each schema, and reads its
    backend's memory after every `step` schemas. CacheMemoryContext shrinking between two
    readings is a cache reset: the backend fell behind the cluster's shared invalidation
    queue (DDL in any database of the cluster: other work here, a migration in production)
    and flushed its caches; steps with a reset are left out of the growth figure."""
    from django.db import connection

    connection.close()
    connection.ensure_connection()
    samples = [{"schemas_touched": 0, **backend_memory()}]
    started = time.perf_counter()
    for touched, schema in enumerate(schemas, start=1):
        leads_page_query(schema)
        if touched % step == 0 or touched == len(schemas):
            samples.append({"schemas_touched": touched, **backend_memory()})
    seconds = time.perf_counter() - started
    key = "private_kb" if "private_kb" in samples[0] else "cache_context_kb"
    slopes, resets = [], 0
    for before, after in itertools.pairwise(samples):
        if after["cache_context_kb"] < before["cache_context_kb"]:
            resets += 1
            continue
        slopes.append(
            (after[key] - before[key]) / (after["schemas_touched"] - before["schemas_touched"])
        )
    return {
        "queries": len(schemas),
        "ms_per_page_query": round(seconds * 1000 / len(schemas), 2),
        "growth_measured_on": key,
        "growth_per_schema_kb_median_step": round(statistics.median(slopes), 1) if slopes else None,
        "growth_per_schema_kb_max_step": round(max(slopes), 1) if slopes else None,
        "cache_resets_seen": resets,
        "samples": [
            {
                name: sample[name]
                for name in ("schemas_touched", key, "pss_kb", "cache_context_kb")
                if name in sample
            }
            for sample in samples
        ],
    }


def per_workspace(before: dict[str, int], after: dict[str, int], count: int) -> dict[str, Any]:
    rows = {name: round((after[name] - before[name]) / count, 1) for name in CATALOGS}
    return {
        "bytes": round((after["database_bytes"] - before["database_bytes"]) / count),
        "catalog_bytes": round((after["catalog_bytes"] - before["catalog_bytes"]) / count),
        "catalog_rows": rows,
        "catalog_rows_total": round(sum(rows.values()), 1),
    }


def refuse_a_database_not_ours() -> None:
    # The run drops its database at both ends: never one that is not obviously a bench's.
    import psycopg

    name = str(psycopg.conninfo.conninfo_to_dict(os.environ["DATABASE_URL"])["dbname"])
    if "bench" not in name:
        raise SystemExit(
            f"DATABASE_URL names {name!r}; this benchmark drops and recreates its database, "
            "so its name must contain 'bench' (unset DATABASE_URL to use crm_bench_footprint)."
        )


def main() -> None:
    begun = time.perf_counter()
    refuse_a_database_not_ours()
    prepare_django()
    from django.db import connection

    from tenants.services.template import ensure_template

    ensure_template()
    empty = database_footprint()
    clone_seconds = make_workspaces(WORKSPACES)
    full = database_footprint()
    each = per_workspace(empty, full, WORKSPACES)

    schemas = [f"ws_bench{n:05d}" for n in range(WORKSPACES)]
    first = schemas[0]
    single = on_a_fresh_connection([first])
    baseline = on_a_fresh_connection([first] * WORKSPACES)
    stepped = touching_in_steps(schemas, step=STEP)
    touched_all = {**stepped["samples"][-1], "ms_per_page_query": stepped["ms_per_page_query"]}
    growth_key = stepped["growth_measured_on"]
    per_kb = stepped["growth_per_schema_kb_median_step"] or 0.0
    connection_touching_all_mb = round((single[growth_key] + per_kb * EXTRAPOLATE_TO) / 1024, 1)
    connection.close()

    document = {
        "benchmark": "workspace_footprint",
        "workspaces": WORKSPACES,
        "method": "empty workspaces cloned from the template (bench/migrate_workspaces."
        "make_workspaces); disk = pg_database_size after CHECKPOINT, before and after, / N; "
        "catalog rows = count(*) deltas / N; memory = the backend's /proc/<pid>/smaps_rollup "
        "and pg_backend_memory_contexts after a fresh connection runs the leads page's query "
        "(25 leads with stage and owner, and the count) in the schemas named",
        "clone_seconds": round(clone_seconds, 1),
        "before": empty,
        "after": full,
        "per_workspace": each,
        "backend_memory": {
            "one_workspace_once": single,
            f"one_workspace_{WORKSPACES}_times": baseline,
            f"{WORKSPACES}_workspaces_once_each_in_steps_of_{STEP}": stepped,
        },
        "backend_growth_per_schema_touched_kb": per_kb,
        "memory_note": "private_kb (the backend's own pages) is what a connection costs; "
        "rss_kb and pss_kb also count the shared buffers it has read (catalog pages), shared "
        "by every backend",
        "ratio_touching_n_schemas_to_one_schema_n_times": {
            key: round(touched_all[key] / baseline[key], 2)
            for key in (growth_key, "pss_kb", "cache_context_kb")
            if key in touched_all and baseline.get(key)
        },
        "first_query_in_a_schema_ms_vs_repeat_ms": [
            touched_all["ms_per_page_query"],
            baseline["ms_per_page_query"],
        ],
        f"extrapolated_to_{EXTRAPOLATE_TO}": {
            "database_gb": round(
                (empty["database_bytes"] + each["bytes"] * EXTRAPOLATE_TO) / 1024**3, 2
            ),
            "catalog_gb": round(
                (empty["catalog_bytes"] + each["catalog_bytes"] * EXTRAPOLATE_TO) / 1024**3, 2
            ),
            "catalog_rows": round(
                sum(empty[name] for name in CATALOGS) + each["catalog_rows_total"] * EXTRAPOLATE_TO
            ),
            "pg_class_rows": round(
                empty["pg_class"] + each["catalog_rows"]["pg_class"] * EXTRAPOLATE_TO
            ),
            f"one_connection_touching_all_mb_{growth_key}": connection_touching_all_mb,
            "100_such_connections_gb": round(connection_touching_all_mb * 100 / 1024, 1),
        },
        "duration_s": round(time.perf_counter() - begun, 1),
        "load_average": os.getloadavg()[0],
        "machine": machine(),
    }
    print(json.dumps(document, indent=2))
    if not KEEP_DATABASE:
        drop_database()


def drop_database() -> None:
    """Free the disk the workspaces took."""
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    url = os.environ["DATABASE_URL"]
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as admin_connection:
        admin_connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(str(name)))
        )


if __name__ == "__main__":
    main()
