"""POST /api/v1/leads/import: mapping, dedupe, dry run, row report, all or nothing, jobs."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, EventLog, Lead
from tests.support.clients import api, post
from tests.support.leads import run_in_background, upload

GOOD = (
    "first_name,last_name,email,company,tags\nAda,Lovelace,ada@x.example,Engines,vip;math\n"
    "Alan,Turing,alan@x.example,Bletchley,\n"
)


def test_import_creates_leads_with_events(make_workspace) -> None:
    fixture = make_workspace()

    response = upload(api(fixture), GOOD)

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["created_count"], body["error_count"]) == ("done", 2, 0)
    with schema_context(fixture.workspace.schema_name):
        ada = Lead.objects.get(email="ada@x.example")
        assert (ada.company, ada.tags, ada.source) == ("Engines", ["math", "vip"], "import")
        assert EventLog.objects.filter(verb="created", object_type="lead").count() == 2


def test_header_mapping(make_workspace) -> None:
    fixture = make_workspace()
    text = "Name,E-mail address,Organisation\nGrace,grace@x.example,Navy\n"

    response = upload(
        api(fixture),
        text,
        mapping='{"Name": "first_name", "E-mail address": "email", "Organisation": "company"}',
    )
    bad = upload(api(fixture), text, mapping='{"Nope": "email", "Name": "salary"}')

    assert response.json()["created_count"] == 1
    fields = {detail["field"] for detail in bad.json()["error"]["details"]}
    assert fields == {"mapping.Nope", "mapping.Name"}


def test_bad_rows_are_reported_by_row_number_and_nothing_is_written(make_workspace) -> None:
    fixture = make_workspace()
    text = GOOD + "Bad,Row,not-an-email,,\n,,,,\nNo,Contact,,,\nDup,Ada,ADA@x.example,,\n"

    response = upload(api(fixture), text)

    body = response.json()
    assert body["created_count"] == 0
    assert body["error_count"] == 3
    assert [error["row"] for error in body["errors"]] == [4, 6, 7]
    assert "not a valid email" in body["errors"][0]["errors"][0]
    assert "already on row 2" in body["errors"][2]["errors"][0]
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_skip_bad_rows_writes_the_good_ones(make_workspace) -> None:
    fixture = make_workspace()

    response = upload(api(fixture), GOOD + "Bad,Row,nope,,\n", skip_bad_rows="true")

    assert (response.json()["created_count"], response.json()["skipped_count"]) == (2, 1)


def test_dry_run_reports_and_writes_nothing(make_workspace) -> None:
    fixture = make_workspace()

    response = upload(api(fixture), GOOD, dry_run="true")

    assert response.json()["total_rows"] == 2
    assert response.json()["created_count"] == 0
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_dedupe_by_email_skips_or_updates(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    existing = post(
        client,
        "/api/v1/leads",
        {"email": "ADA@x.example", "company": "Old", "phone": "+1 202 555 0100"},
    ).json()

    skipped = upload(client, GOOD).json()
    after_skip = client.get(f"/api/v1/leads/{existing['id']}").json()
    updated = upload(client, GOOD, on_duplicate="update").json()
    after_update = client.get(f"/api/v1/leads/{existing['id']}").json()

    assert (skipped["created_count"], skipped["skipped_count"]) == (1, 1)
    assert after_skip["company"] == "Old"
    assert (updated["created_count"], updated["updated_count"]) == (0, 2)
    assert after_update["company"] == "Engines"
    assert after_update["phone"] == "+12025550100"  # not in the file: kept


def test_custom_fields_are_validated(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="number")
    text = "email,custom_fields.budget\na@x.example,1200\nb@x.example,lots\n"

    response = upload(api(fixture), text, skip_bad_rows="true")

    assert response.json()["error_count"] == 1
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get().custom_fields == {"budget": 1200}


def test_unreadable_files_are_422(make_workspace) -> None:
    client = api(make_workspace())

    empty = upload(client, "")
    latin = client.post(
        "/api/v1/leads/import",
        {"file": SimpleUploadedFile("x.csv", "email\nzoë@x.example\n".encode("latin-1"))},
    )
    bad_option = upload(client, GOOD, on_duplicate="merge")

    assert empty.json()["error"]["details"][0]["code"] == "empty_file"
    assert latin.json()["error"]["details"][0]["code"] == "not_utf8"
    assert bad_option.json()["error"]["details"][0]["field"] == "on_duplicate"


@override_settings(CRM_IMPORT_SYNC_MAX_ROWS=1)
def test_large_import_runs_as_a_job_with_progress(
    make_workspace, django_capture_on_commit_callbacks
) -> None:
    from project.celery import app

    app.conf.task_always_eager = True
    fixture = make_workspace()
    client = api(fixture)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            queued = upload(client, GOOD)
    finally:
        app.conf.task_always_eager = False

    progress = client.get(f"/api/v1/imports/{queued.json()['id']}").json()
    assert queued.status_code == 202
    assert queued.json()["status"] == "pending"
    assert (progress["status"], progress["processed_rows"], progress["created_count"]) == (
        "done",
        2,
        2,
    )


def test_imports_of_another_workspace_are_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    done = upload(api(alpha), GOOD).json()

    assert api(beta).get(f"/api/v1/imports/{done['id']}").status_code == 404
    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_an_overlong_name_in_a_background_import_is_reported_by_row_not_left_writing(
    two_workspaces, django_capture_on_commit_callbacks
) -> None:
    alpha, beta = two_workspaces
    rows = [f"Lead{n},lead{n}@x.example" for n in range(2101)]
    rows[1500] = f"{'A' * 300},long@x.example"  # row 1502: the header is row 1
    text = "first_name,email\n" + "\n".join(rows) + "\n"

    report = run_in_background(api(alpha), text, django_capture_on_commit_callbacks)

    assert report["status"] == "done"
    assert (report["error_count"], report["created_count"]) == (1, 0)
    assert report["errors"][0]["row"] == 1502
    assert report["errors"][0]["errors"][0].startswith("first_name:")
    assert api(beta).get(f"/api/v1/imports/{report['id']}").status_code == 404
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.count() == 0


def break_lead_writes(fixture) -> None:
    """Make the database refuse every new lead of this workspace (as a full disk would):
    a trigger in its schema only, so nothing of ours is replaced and the others still work."""
    with schema_context(fixture.workspace.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_leads() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$; "
            "CREATE TRIGGER refuse_leads BEFORE INSERT ON crm_lead "
            "FOR EACH ROW EXECUTE FUNCTION refuse_leads()"
        )


def test_an_import_whose_write_fails_ends_failed_with_its_report(
    two_workspaces, django_capture_on_commit_callbacks
) -> None:
    alpha, beta = two_workspaces
    break_lead_writes(alpha)
    text = GOOD + "Bad,Row,nope,,\n"

    in_request = upload(api(alpha), text, skip_bad_rows="true")
    with override_settings(CRM_IMPORT_SYNC_MAX_ROWS=1):
        in_background = run_in_background(
            api(alpha), text, django_capture_on_commit_callbacks, skip_bad_rows="true"
        )
    elsewhere = upload(api(beta), text, skip_bad_rows="true")

    assert in_request.status_code == 200
    for report in (in_request.json(), in_background):
        assert (report["status"], report["created_count"]) == ("failed", 0)
        assert report["failure"].startswith("The import stopped while writing leads")
        assert [error["row"] for error in report["errors"]] == [4]
        assert report["finished_at"] is not None
    assert (elsewhere.json()["status"], elsewhere.json()["created_count"]) == ("done", 2)
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.count() == 0


def test_the_import_job_outside_a_workspace_schema_refuses_to_work(db) -> None:
    from crm.tasks import import_leads
    from tenants.schemas import NotInWorkspace

    with pytest.raises(NotInWorkspace):
        import_leads.run(1)
