"""Lead import: phone numbers checked and stored in E.164, SMS consent columns with their
source, per-row errors, and an update that never forgets an opt-out."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import Lead
from tests.support.clients import api, post
from tests.support.imports import import_id_of, mapping_form
from tests.support.imports import upload as page_upload
from tests.support.leads import upload

HEADER = "email,phone,sms_consent,sms_consent_source\n"


def test_consent_columns_import_with_their_source_and_time(make_workspace) -> None:
    fixture = make_workspace()
    text = HEADER + (
        "ada@x.example,(202) 555-0100,opted_in,web_form\n"
        "bob@x.example,+44 20 7946 0000,opted_out,\n"
        "cy@x.example,,,\n"
    )

    result = upload(api(fixture), text).json()

    assert (result["created_count"], result["error_count"]) == (3, 0)
    with schema_context(fixture.workspace.schema_name):
        ada, bob, cy = (
            Lead.objects.get(email=f"{name}@x.example") for name in ("ada", "bob", "cy")
        )
    assert (ada.phone, ada.sms_consent, ada.sms_consent_source) == (
        "+12025550100",
        "opted_in",
        "web_form",
    )
    assert ada.sms_consent_at is not None and ada.sms_opted_out_at is None
    assert (bob.phone, bob.sms_consent, bob.sms_opted_out_at is not None) == (
        "+442079460000",
        "opted_out",
        True,
    )
    assert (cy.sms_consent, cy.sms_consent_at, cy.sms_opted_out_at) == ("unknown", None, None)


def test_bad_numbers_and_sourceless_opt_ins_are_row_errors_and_nothing_is_written(
    make_workspace,
) -> None:
    fixture = make_workspace()
    text = HEADER + (
        "ada@x.example,+12025550100,opted_in,web_form\n"
        "bob@x.example,not a number,,\n"
        "cy@x.example,+12025550101,opted_in,\n"
        "dee@x.example,+12025550102,,api\n"
        "eve@x.example,+12025550103,perhaps,\n"
    )

    result = upload(api(fixture), text).json()

    errors = {row["row"]: row["errors"] for row in result["errors"]}
    assert result["created_count"] == 0
    assert sorted(errors) == [3, 4, 5, 6]
    assert errors[3][0].startswith("phone: 'not a number' is not a phone number")
    assert errors[4] == [
        "sms_consent_source: say how this lead agreed to texts, one of "
        "web_form, checkout, import, api, keyword, written, verbal, other"
    ]
    assert errors[5] == ["sms_consent_source: a consent source goes with sms_consent opted_in"]
    assert errors[6] == ["sms_consent: use one of unknown, opted_in, opted_out"]
    with schema_context(fixture.workspace.schema_name):
        assert not Lead.objects.exists()


def test_an_update_import_keeps_an_opt_out_the_file_does_not_change(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    post(client, "/api/v1/leads", {"email": "ada@x.example", "phone": "+12025550100"})
    out = {"email": "bob@x.example", "phone": "+12025550101", "sms_consent": "opted_out"}
    bob_id = post(client, "/api/v1/leads", out).json()["id"]
    with schema_context(fixture.workspace.schema_name):
        opted_out_at = Lead.objects.get(pk=bob_id).sms_opted_out_at
    text = HEADER + "ada@x.example,+12025550100,opted_in,written\nbob@x.example,+12025550101,,\n"

    result = upload(client, text, on_duplicate="update").json()

    assert result["updated_count"] == 2
    with schema_context(fixture.workspace.schema_name):
        ada, bob = Lead.objects.get(email="ada@x.example"), Lead.objects.get(pk=bob_id)
    assert (ada.sms_consent, ada.sms_consent_source) == ("opted_in", "written")
    assert ada.sms_consent_at is not None
    assert (bob.sms_consent, bob.sms_opted_out_at) == ("opted_out", opted_out_at)


def test_an_import_into_one_workspace_leaves_the_other_alone(two_workspaces) -> None:
    alpha, beta = two_workspaces
    post(api(beta), "/api/v1/leads", {"email": "ada@x.example", "phone": "+12025550100"})

    upload(api(alpha), HEADER + "ada@x.example,+12025550100,opted_in,web_form\n")

    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.get().sms_consent == "unknown"
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get().sms_consent == "opted_in"


def test_the_import_page_guesses_the_consent_columns_and_names_them(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    import_id = import_id_of(page_upload(page, "Phone,SMS consent,SMS consent source\n"))
    guessed = mapping_form(page, import_id)
    html = page.get(f"/leads/import/{import_id}/mapping/").content.decode()

    assert [guessed[f"column_{index}"] for index in range(3)] == [
        "phone",
        "sms_consent",
        "sms_consent_source",
    ]
    assert '<option value="sms_consent_source">SMS consent source</option>' in html
