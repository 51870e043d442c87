"""'Find my workspace': the member-directory lookup at 10,000 workspaces' worth of index
rows against the walk over every schema it replaces, in one run.

The lookup is tenants.selectors.member_directory.workspaces_with_active_account (one query:
the email-hash index joined to the workspace rows). The baseline is what the lookup would
be without the directory: ask every workspace schema's accounts_user for the address, the
way the console's owner search does (UNION ALL over schema-qualified tables, 200 schemas a
statement). The walk is timed over N real schemas and its per-schema cost projected to the
same 10,000 workspaces. Prints one JSON document. Run from the repo root:

    .venv/bin/python bench/find_workspace.py [--workspaces 10000] [--schemas 100] [--lookups 500]

Uses its own database (crm_bench, dropped and recreated at start, dropped at the end) and
Redis database 5, unless DATABASE_URL / REDIS_URL say otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for _name, _value in {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm_bench",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
    "DJANGO_ENV": "dev",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "project.settings",
}.items():
    os.environ.setdefault(_name, _value)
_BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(_BENCH.parent), str(_BENCH)]  # the repo (project code), bench_support

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench_support import (  # noqa: E402
    drop_database,
    emit,
    machine_info,
    recreate_database,
    setup_django,
    stdout_to_stderr,
    summary_ms,
)

FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
MEMBERS_PER_WORKSPACE = 3
SEED = 20261201
WALK_BATCH = 200
TARGET = "sam@shared.example"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspaces", type=int, default=10_000)
    parser.add_argument("--schemas", type=int, default=100, help="real schemas the walk reads")
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args()


def timed(call: Callable[[], object], times: int) -> list[float]:
    call()  # warm: plan cache, connection, catalog
    seconds = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - began)
    return seconds


def directory_rows(count: int, *, first_index: int) -> int:
    """`count` workspace rows (no schema: the lookup reads only public tables) with
    MEMBERS_PER_WORKSPACE directory entries each; every 1,000th also has TARGET."""
    from tenants.models import MemberAddress, Workspace

    workspaces = Workspace.objects.bulk_create(
        [
            Workspace(
                name=f"Directory {index:05d}",
                slug=f"dir-{index:05d}",
                schema_name=f"ws_dir_{index:05d}",
            )
            for index in range(first_index, first_index + count)
        ]
    )
    entries = [
        MemberAddress(
            workspace=workspace,
            user_id=member,
            email_hash=MemberAddress.hash_of(f"person{member}@dir-{workspace.slug}.example"),
        )
        for workspace in workspaces
        for member in range(1, MEMBERS_PER_WORKSPACE + 1)
    ]
    entries += [
        MemberAddress(workspace=workspace, user_id=99, email_hash=MemberAddress.hash_of(TARGET))
        for workspace in workspaces
        if int(workspace.slug.split("-")[1]) % 1000 == 0
    ]
    MemberAddress.objects.bulk_create(entries, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would have by now
        cursor.execute("ANALYZE tenants_workspace, tenants_memberaddress")
    return len(entries)


def real_schemas(count: int) -> list[str]:
    from django.test import override_settings

    from accounts.models import User
    from tenants.services.provisioning import create_workspace
    from tests.support.clients import add_member

    schemas = []
    with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        for index in range(count):
            workspace = create_workspace(
                name=f"Walk {index:04d}",
                slug=f"walk-{index:04d}",
                owner_email=f"owner@walk-{index:04d}.example",
                owner_password="bench passphrase of enough length",
            )
            if index % 10 == 0:
                add_member(workspace, User.Role.MEMBER, TARGET)
            schemas.append(workspace.schema_name)
    return schemas


def walk(schemas: list[str]) -> Callable[[], list[str]]:
    """The baseline: ask every schema's accounts_user for the address."""
    from django.db import connection

    users = connection.ops.quote_name("accounts_user")

    def run() -> list[str]:
        found: list[str] = []
        for start in range(0, len(schemas), WALK_BATCH):
            batch = schemas[start : start + WALK_BATCH]
            selects = [
                f"SELECT %s::text FROM {connection.ops.quote_name(schema)}.{users}"
                " WHERE lower(email) = lower(%s) AND is_active"
                for schema in batch
            ]
            params: list[str] = []
            for schema in batch:
                params += [schema, TARGET]
            with connection.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(selects), params)
                found += [row[0] for row in cursor.fetchall()]
        return found

    return run


def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    recreate_database()
    setup_django()

    from tenants.schemas import use_public_schema
    from tenants.selectors.member_directory import workspaces_with_active_account
    from tenants.services.template import refresh_template

    random.seed(SEED)
    refresh_template()
    schemas = real_schemas(args.schemas)
    use_public_schema()

    def lookup() -> list[Any]:
        return workspaces_with_active_account(email=TARGET)

    small_rows = directory_rows(100, first_index=0)
    at_100 = summary_ms(timed(lookup, args.lookups))
    rows = small_rows + directory_rows(args.workspaces - 100, first_index=100)
    at_full = summary_ms(timed(lookup, args.lookups))
    found = len(lookup())

    walk_runs = max(20, args.lookups // 10)
    walked = summary_ms(timed(walk(schemas), walk_runs))
    walk_found = len(walk(schemas)())
    per_schema_ms = walked["p50_ms"] / len(schemas)
    projected_ms = per_schema_ms * args.workspaces

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT 1 FROM tenants_memberaddress m JOIN tenants_workspace w"
            " ON w.id = m.workspace_id WHERE m.email_hash = %s AND w.status = 'active'",
            ["0" * 64],
        )
        plan = [row[0] for row in cursor.fetchall()]

    document: dict[str, Any] = {
        "benchmark": "find_workspace",
        "method": {
            "lookup": "tenants.selectors.member_directory.workspaces_with_active_account: one "
            "query, the email-hash index joined to tenants_workspace",
            "index_rows": f"{args.workspaces} workspace rows, {MEMBERS_PER_WORKSPACE} entries "
            "each plus the searched address in every 1,000th; the lookup reads only public "
            "tables, so these workspaces have no schema",
            "baseline": f"a walk over {len(schemas)} real workspace schemas (cloned, each with "
            "its owner; the address in every 10th): UNION ALL of lower(email) = lower(%s) "
            f"over schema-qualified accounts_user, {WALK_BATCH} schemas a statement; its "
            f"per-schema p50 projected to {args.workspaces} workspaces",
            "timing": f"{args.lookups} lookups per case, {walk_runs} walks, after one warm-up "
            "call each; one connection, in process",
        },
        "lookup_at_100_workspaces": {**at_100, "index_rows": small_rows},
        f"lookup_at_{args.workspaces}_workspaces": {
            **at_full,
            "index_rows": rows,
            "workspaces_found": found,
        },
        f"walk_over_{len(schemas)}_schemas": {**walked, "workspaces_found": walk_found},
        "walk_ms_per_schema": round(per_schema_ms, 3),
        f"walk_projected_to_{args.workspaces}_ms": round(projected_ms, 1),
        f"ratio_walk_{len(schemas)}_schemas_to_lookup": round(
            walked["p50_ms"] / max(at_full["p50_ms"], 0.001), 1
        ),
        f"ratio_walk_projected_to_lookup_at_{args.workspaces}": round(
            projected_ms / max(at_full["p50_ms"], 0.001), 1
        ),
        "lookup_growth_100_to_full_p50": round(at_full["p50_ms"] / max(at_100["p50_ms"], 0.001), 2),
        "lookup_plan": plan,
        "machine": machine_info(),
    }
    if not args.keep_database:
        drop_database()
    document["duration_s"] = round(time.perf_counter() - began, 1)
    return document


def main() -> None:
    args = parse_args()
    with stdout_to_stderr() as stdout:
        document = run(args)
    emit(document, stdout)


if __name__ == "__main__":
    main()
