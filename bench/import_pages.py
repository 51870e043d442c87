"""The CSV import in the browser at 100,000 rows, through the pages as a signed-in owner
(the Django test client, in process): upload, the mapping page, the dry run (in the request,
as CRM_IMPORT_SYNC_MAX_ROWS is raised here; a worker runs the same function), the preview,
the import, and p50/p95 of the status the progress bar polls every second. Prints one JSON
object. Run from the repository root: .venv/bin/python bench/import_pages.py"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm_bench_import")
os.environ["CRM_IMPORT_SYNC_MAX_ROWS"] = "1000000"  # time the work itself, not the queue
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crm_setup import machine, percentile, prepare_django
from lead_import import ROWS, make_csv

POLLS = 30


def main() -> None:
    prepare_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django_tenants.utils import schema_context

    from crm.models import Lead
    from tenants.services.provisioning import create_workspace

    text = make_csv()
    workspace = create_workspace(
        name="Bench", slug="bench", owner_email="o@bench.example", owner_password="bench pass 1"
    )
    client = Client(HTTP_HOST=workspace.primary_host)
    assert client.post("/login/", {"email": "o@bench.example", "password": "bench pass 1"})
    timings: dict[str, float] = {}

    def timed(name: str, call):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = call()
        timings[name] = round((time.perf_counter() - started) * 1000, 1)
        assert response.status_code in (200, 302), (name, response.status_code)
        return response

    upload = timed(
        "upload_ms",
        lambda: client.post(
            "/leads/import/", {"file": SimpleUploadedFile("leads.csv", text.encode())}
        ),
    )
    base = re.match(r"/leads/import/\d+/", upload["Location"]).group(0)  # type: ignore[union-attr]
    mapping = timed("mapping_page_ms", lambda: client.get(f"{base}mapping/")).content.decode()
    selects = re.findall(r'<select name="(column_\d+)"[^>]*>(.*?)</select>', mapping, re.S)
    form = {
        name: (re.search(r'value="([^"]*)"[^>]*selected', body) or [None, ""])[1]
        for name, body in selects
    }
    timed("dry_run_ms", lambda: client.post(f"{base}mapping/", {**form, "on_duplicate": "skip"}))
    timed("preview_page_ms", lambda: client.get(base))
    timed("import_ms", lambda: client.post(f"{base}run/"))
    polls = []
    for _ in range(POLLS):
        started = time.perf_counter()
        client.get(f"{base}status/", HTTP_HX_REQUEST="true")
        polls.append((time.perf_counter() - started) * 1000)
    timed("imported_leads_page_ms", lambda: client.get(f"{base}leads/"))
    timed("past_imports_page_ms", lambda: client.get("/leads/import/"))
    with schema_context(workspace.schema_name):
        leads = Lead.objects.count()
    print(
        json.dumps(
            {
                "benchmark": "import_pages",
                "rows": ROWS,
                "file_mb": round(len(text.encode()) / 1_000_000, 1),
                "leads_written": leads,
                **timings,
                "status_poll_p50_ms": round(percentile(polls, 0.5), 1),
                "status_poll_p95_ms": round(percentile(polls, 0.95), 1),
                "machine": machine(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
