"""Every cell of an import is checked against its column before anything is written: a bad
one is reported with its row number, never a 500."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, Lead
from tests.support.clients import api
from tests.support.leads import run_in_background, upload

HEADER = (
    "first_name,last_name,email,phone,company,source,source_detail,tags,status,consent,"
    "custom_fields.budget,custom_fields.starts,custom_fields.plan,custom_fields.paid,"
    "custom_fields.note,custom_fields"
)
GOOD_ROW = [
    "Ada",
    "Lovelace",
    "ada@x.example",
    "+44 20 7946 0001",
    "Engines",
    "referral",
    "Babbage",
]
GOOD_ROW += ["math;vip", "qualified", "yes", "1200", "2026-05-01", "gold", "no", "hi", ""]


def define_custom_fields() -> None:
    CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="number")
    CustomFieldDefinition.objects.create(key="starts", label="Starts", field_type="date")
    CustomFieldDefinition.objects.create(
        key="plan", label="Plan", field_type="select", options=["gold", "silver"]
    )
    CustomFieldDefinition.objects.create(key="paid", label="Paid", field_type="boolean")
    CustomFieldDefinition.objects.create(key="note", label="Note", field_type="text")
    CustomFieldDefinition.objects.create(key="extra", label="Extra", field_type="text")


def csv_text(*rows: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def file_with(column: str, bad: str) -> str:
    """A header, a good row, then a row that is good but for one cell."""
    columns = HEADER.split(",")
    row = [*GOOD_ROW]
    row[1] = "Second"
    row[2] = "second@x.example"
    row[columns.index(column)] = bad
    return csv_text(columns, GOOD_ROW, row)


BAD_CELLS = {
    "first_name too long": ("first_name", "A" * 101, "first_name: at most 100 characters"),
    "last_name too long": ("last_name", "B" * 101, "last_name: at most 100 characters"),
    "phone too long": ("phone", "1" * 41, "phone: at most 40 characters"),
    "company too long": ("company", "C" * 201, "company: at most 200 characters"),
    "source_detail too long": ("source_detail", "D" * 201, "source_detail: at most 200"),
    "email too long": ("email", "e" * 250 + "@x.example", "email: at most 254 characters"),
    "email Django refuses": ("email", "ada@x..example", "email: 'ada@x..example' is not"),
    "tag too long": ("tags", "t" * 51, "tags: at most 50 tags of up to 50 characters"),
    "too many tags": ("tags", ";".join(f"t{n}" for n in range(51)), "tags: at most 50"),
    "unknown source": ("source", "billboard", "source: use one of"),
    "unknown status": ("status", "won", "status: use one of"),
    "consent not yes or no": ("consent", "maybe", "consent: 'maybe' is not yes or no"),
    "number too large": ("custom_fields.budget", "1.0e999", "custom_fields.budget: Expected"),
    "not a number": ("custom_fields.budget", "lots", "custom_fields.budget: Expected"),
    "not a date": ("custom_fields.starts", "2026-02-30", "custom_fields.starts: Expected"),
    "not a choice": ("custom_fields.plan", "bronze", "custom_fields.plan: Expected"),
    "not yes or no": ("custom_fields.paid", "perhaps", "custom_fields.paid: Expected"),
    "custom fields not an object": ("custom_fields", "[1, 2]", "custom_fields: give a JSON object"),
    "custom fields infinite": ("custom_fields", '{"budget": Infinity}', "custom_fields: give"),
    "custom fields NUL": ("custom_fields", '{"extra": "\\u0000"}', "custom_fields: contains a"),
}


@pytest.mark.parametrize(("column", "bad", "reason"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_a_bad_cell_is_reported_with_its_row_and_nothing_is_written(
    make_workspace, column: str, bad: str, reason: str
) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        define_custom_fields()

    response = upload(api(fixture), file_with(column, bad))

    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["error_count"], body["created_count"]) == ("done", 1, 0)
    assert body["errors"][0]["row"] == 3
    assert body["errors"][0]["errors"][0].startswith(reason), body["errors"]
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_a_good_file_with_every_kind_of_column_is_written(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        define_custom_fields()

    response = upload(api(fixture), file_with("custom_fields", '{"budget": 99.5}'))

    assert (response.json()["created_count"], response.json()["error_count"]) == (2, 0)
    with schema_context(fixture.workspace.schema_name):
        second = Lead.objects.get(email="second@x.example")
    assert second.custom_fields == {
        "budget": 1200,  # its own column wins over the JSON object's key
        "starts": "2026-05-01",
        "plan": "gold",
        "paid": False,
        "note": "hi",
    }
    assert (second.tags, second.status, second.consent) == (["math", "vip"], "qualified", True)


def test_a_row_the_csv_reader_cannot_read_is_reported_and_the_rest_still_checked(
    make_workspace,
) -> None:
    fixture = make_workspace()
    oversized = "n" * 200_000  # over the csv module's field limit
    text = f"email,notes\na@x.example,ok\nb@x.example,{oversized}\nc@x.example,also ok\n"

    response = upload(api(fixture), text, skip_bad_rows="true")

    body = response.json()
    assert response.status_code == 200
    assert [error["row"] for error in body["errors"]] == [3]
    assert "not readable CSV" in body["errors"][0]["errors"][0]
    assert (body["created_count"], body["skipped_count"]) == (2, 1)


def test_a_file_with_nul_characters_is_422_naming_their_rows(make_workspace) -> None:
    fixture = make_workspace()
    text = "first_name,email\nAda,ada@x.example\nAl\x00an,alan@x.example\nx,\x00@x.example\n"

    response = upload(api(fixture), text)

    detail = response.json()["error"]["details"][0]
    assert response.status_code == 422
    assert (detail["field"], detail["code"]) == ("file", "nul_character")
    assert detail["message"].startswith("Rows 3, 4 hold a NUL character")
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_a_file_with_old_mac_line_endings_imports(make_workspace) -> None:
    fixture = make_workspace()
    text = 'first_name,email,notes\rAda,ada@x.example,"two\r\nlines"\rAlan,alan@x.example,\r'

    response = upload(api(fixture), text)

    assert (response.status_code, response.json()["created_count"]) == (200, 2)
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get(email="ada@x.example").notes == "two\r\nlines"


@override_settings(CRM_IMPORT_SYNC_MAX_ROWS=1)
def test_a_large_file_with_old_mac_line_endings_goes_to_the_worker(
    make_workspace, django_capture_on_commit_callbacks
) -> None:
    fixture = make_workspace()
    text = "first_name,email\rAda,ada@x.example\rAlan,alan@x.example\r"

    report = run_in_background(api(fixture), text, django_capture_on_commit_callbacks)

    assert (report["status"], report["created_count"]) == ("done", 2)
