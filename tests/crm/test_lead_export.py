"""GET /api/v1/leads/export: cells a spreadsheet opens safely, one time format, re-importable."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Lead
from tests.support.clients import api, post
from tests.support.leads import body_of

ISO_8601_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def exported_rows(client) -> list[dict[str, str]]:
    response = client.get("/api/v1/leads/export")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(body_of(response))))


def test_cells_that_start_like_a_formula_are_neutralised(two_workspaces) -> None:
    alpha, beta = two_workspaces
    post(
        api(alpha),
        "/api/v1/leads",
        {
            "first_name": '=HYPERLINK("http://evil.example","Click")',
            "last_name": "+1+1",
            "email": "-2+3@x.example",
            "phone": "+44 20 7946 0000",
            "company": "@SUM(A1:A9)",
            "source_detail": "a = b",  # only the first character matters
            "tags": ["=cmd"],
        },
    )
    with schema_context(alpha.workspace.schema_name):
        # The API trims text; a row written another way may still start with a tab or CR.
        Lead.objects.update(notes="\t=1+1", source_detail="\r=2+2")
    post(api(beta), "/api/v1/leads", {"first_name": "=beta", "email": "b@x.example"})

    [row] = exported_rows(api(alpha))

    assert row["first_name"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["last_name"] == "'+1+1"
    assert row["email"] == "'-2+3@x.example"
    assert row["phone"] == "'+442079460000"  # stored in E.164
    assert row["company"] == "'@SUM(A1:A9)"
    assert row["tags"] == "'=cmd"
    assert row["notes"] == "'\t=1+1"
    assert row["source_detail"] == "'\r=2+2"
    assert (row["id"].isdigit(), row["consent"], row["status"]) == (True, "False", "new")


def test_every_time_in_the_export_is_iso_8601_with_its_offset(make_workspace) -> None:
    fixture = make_workspace()
    post(api(fixture), "/api/v1/leads", {"email": "ada@x.example"})
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.update(
            unsubscribed_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
            last_contacted_at=datetime(2026, 2, 1, 8, 0, 5, 123456, tzinfo=UTC),
        )

    [row] = exported_rows(api(fixture))

    times = {name: row[name] for name in ("unsubscribed_at", "last_contacted_at")}
    times |= {name: row[name] for name in ("created_at", "updated_at")}
    assert all(ISO_8601_WITH_OFFSET.match(value) for value in times.values()), times
    assert times["unsubscribed_at"] == "2026-03-01T09:30:00+00:00"


def test_a_neutralised_export_imports_again_as_the_same_values(two_workspaces) -> None:
    alpha, beta = two_workspaces
    post(
        api(alpha),
        "/api/v1/leads",
        {"email": "ada@x.example", "phone": "+44 20 7946 0000", "company": "-min", "tags": ["=a"]},
    )
    csv_bytes = body_of(api(alpha).get("/api/v1/leads/export")).encode()

    imported = api(beta).post(
        "/api/v1/leads/import",
        {"file": SimpleUploadedFile("leads.csv", csv_bytes, content_type="text/csv")},
    )

    assert imported.json()["created_count"] == 1
    with schema_context(beta.workspace.schema_name):
        lead = Lead.objects.get()
    assert (lead.phone, lead.company, lead.tags) == ("+442079460000", "-min", ["=a"])


SET_BY_A_PERSON = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "source",
    "source_detail",
    "tags",
    "status",
    "consent",
    "sms_consent",
    "sms_consent_source",
    "custom_fields",
    "notes",
]


def test_an_export_imports_into_another_workspace_as_the_same_leads(two_workspaces) -> None:
    alpha, beta = two_workspaces
    for fixture in two_workspaces:
        with schema_context(fixture.workspace.schema_name):
            CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="number")
            CustomFieldDefinition.objects.create(key="starts", label="Starts", field_type="date")
    post(
        api(alpha),
        "/api/v1/leads",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@x.example",
            "phone": "+44 20 7946 0000",
            "company": "Engines, Ltd",
            "source": "referral",
            "source_detail": "Babbage",
            "tags": ["math", "vip"],
            "status": "qualified",
            "consent": True,
            "sms_consent": "opted_in",
            "sms_consent_source": "web_form",
            "custom_fields": {"budget": 1200.5, "starts": "2026-05-01"},
            "notes": "Two\nlines",
        },
    )
    csv_bytes = body_of(api(alpha).get("/api/v1/leads/export")).encode()

    imported = api(beta).post(
        "/api/v1/leads/import",
        {"file": SimpleUploadedFile("leads.csv", csv_bytes, content_type="text/csv")},
    )

    assert (imported.json()["created_count"], imported.json()["error_count"]) == (1, 0)
    with schema_context(alpha.workspace.schema_name):
        original = Lead.objects.values(*SET_BY_A_PERSON).get()
    with schema_context(beta.workspace.schema_name):
        copy = Lead.objects.values(*SET_BY_A_PERSON).get()
    assert copy == original


def test_the_export_has_the_sms_consent_columns_in_their_place(make_workspace) -> None:
    fixture = make_workspace()
    post(
        api(fixture),
        "/api/v1/leads",
        {"phone": "+1 202 555 0100", "sms_consent": "opted_in", "sms_consent_source": "verbal"},
    )

    response = api(fixture).get("/api/v1/leads/export")
    header, line = list(csv.reader(io.StringIO(body_of(response))))
    row = dict(zip(header, line, strict=True))

    assert header[header.index("unsubscribed_at") + 1 :][:5] == [
        "sms_consent",
        "sms_consent_source",
        "sms_consent_at",
        "sms_opted_out_at",
        "sms_undeliverable_at",
    ]
    assert (row["sms_consent"], row["sms_consent_source"]) == ("opted_in", "verbal")
    assert ISO_8601_WITH_OFFSET.match(row["sms_consent_at"])
    assert (row["sms_opted_out_at"], row["sms_undeliverable_at"]) == ("", "")
