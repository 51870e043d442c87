"""Import of a 100,000-row CSV through the real import service, beside a raw COPY of the
same file into a plain table (the baseline of the ratio). Prints one JSON object."""

from __future__ import annotations

import csv
import io
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, on_unlimited_plan, prepare_django

ROWS = 100_000


def make_csv() -> str:
    rng = random.Random(11)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["first_name", "last_name", "email", "phone", "company", "source", "tags"])
    for i in range(ROWS):
        first = rng.choice(["Ada", "Grace", "Alan", "Linus", "Hedy", "Yuki", "Kofi"])
        writer.writerow(
            [
                first,
                f"Surname{rng.randint(0, 9999)}",
                f"{first.lower()}.{i}@x.example",
                f"+1 202 555 {i % 10000:04d}",  # valid US numbers (phonenumbers checks)
                rng.choice(["Acme", "Globex", "Initech", ""]),
                rng.choice(["ads", "web_form", "referral"]),
                ";".join(rng.sample(["vip", "webinar", "cold", "podcast"], k=2)),
            ]
        )
    return buffer.getvalue()


def main() -> None:
    prepare_django()
    from django.db import connection
    from django_tenants.utils import schema_context

    from accounts.models import User
    from crm.models import Lead, LeadImport
    from crm.services.lead_import import run_import
    from tenants.services.provisioning import create_workspace

    text = make_csv()
    workspace = create_workspace(
        name="Bench",
        slug="bench",
        owner_email="o@bench.example",
        owner_password="bench passphrase 1",
    )
    on_unlimited_plan(workspace)

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE public.copy_baseline (first_name text, last_name text, "
            "email text, phone text, company text, source text, tags text)"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(
            "COPY public.copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)"
        ) as copy:
            copy.write(text)
        copy_seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE public.copy_baseline")

    with schema_context(workspace.schema_name):
        lead_import = LeadImport.objects.create(
            csv_text=text, created_by=User.objects.get(), total_rows=ROWS
        )
        started = time.perf_counter()
        run_import(lead_import)
        import_seconds = time.perf_counter() - started
        lead_import.refresh_from_db()
        created = lead_import.created_count
        assert Lead.objects.count() == ROWS == created, (Lead.objects.count(), created)

    import_rate, copy_rate = ROWS / import_seconds, ROWS / copy_seconds
    print(
        json.dumps(
            {
                "benchmark": "lead_import",
                "rows": ROWS,
                "method": "crm.services.lead_import.run_import (parse, check every row, "
                "COPY to a temp "
                "table, one upsert writing leads and their events, all indexes incl. trigram) "
                "vs COPY of the same CSV into a plain table without indexes",
                "import_seconds": round(import_seconds, 2),
                "import_rows_per_second": round(import_rate),
                "copy_seconds": round(copy_seconds, 2),
                "copy_rows_per_second": round(copy_rate),
                "ratio": round(import_rate / copy_rate, 3),
                "goal_ratio_min": round(1 / 3, 3),
                "goal_met": import_rate / copy_rate >= 1 / 3,
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
