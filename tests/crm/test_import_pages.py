"""The CSV import in the browser, step by step through the HTML test client: upload (bad files
refused on the form), the column mapping guessed from the headers and checked, the dry run's
first rows and every error with its row and column, the import that runs once however often
it is sent, the list of past imports, a member's import and another workspace's import id."""

from __future__ import annotations

import html

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from crm.models import Lead, LeadImport
from crm.services.lead_import import MAX_IMPORT_BYTES
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.imports import import_id_of, labelled_columns, mapping_form, upload
from tests.support.pages import page_text as raw_text

GOOD_AND_BAD = (
    "First Name,Last name,E-mail,Company name,Notes\n"
    "Ada,Lovelace,ada@example.com,Analytical Engines,likes maths\n"
    "Bob,Builder,bob@,Fix It,\n"
    "Carol,Danvers,carol@example.com,,\n"
)
FIXED = GOOD_AND_BAD.replace("bob@,", "bob@example.com,")


def page_text(response) -> str:
    return html.unescape(raw_text(response))


def _previewed(client, text: str = GOOD_AND_BAD, **changes: str) -> int:
    import_id = import_id_of(upload(client, text))
    form = mapping_form(client, import_id)
    response = client.post(f"/leads/import/{import_id}/mapping/", {**form, **changes})
    assert response.status_code == 302, page_text(response)
    return import_id


def _leads(fixture) -> list[Lead]:
    with schema_context(fixture.workspace.schema_name):
        return list(Lead.objects.order_by("email"))


def test_signed_out_visitors_are_sent_to_sign_in(make_workspace) -> None:
    response = make_workspace().client().get("/leads/import/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/leads/import/")


def test_the_upload_page_states_the_limit_and_lists_no_imports_yet(make_workspace) -> None:
    text = page_text(make_workspace().signed_in_client().get("/leads/import/"))

    assert "Drop your CSV file here" in text and "up to 50 MB" in text
    assert "No imports yet" in text


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("leads.xlsx", b"PK\x03\x04\x14\x00\x06\x00rest", "This is an Excel or other zipped file"),
        ("report.pdf", b"%PDF-1.7 ...", "This is a PDF"),
        ("leads.csv", b"", "The file is empty"),
        ("leads.csv", b"email\nada@example.com\nb\x00b@example.com\n", "Row 3 holds a NUL"),
        ("leads.csv", "email,name\ncaf\u00e9@x.example,Ren\u00e9\n".encode("latin-1"),
         "not UTF-8 text"),
        ("leads.csv", "email\nx@y.example\n".encode("utf-16"), "saved as UTF-16"),
        ("leads.csv", b"\n\n", "The file is empty"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_imported_is_refused_on_the_form(
    make_workspace, name, content, says
) -> None:
    fixture = make_workspace()

    response = upload(fixture.signed_in_client(), content, name)

    assert response.status_code == 422
    assert says in page_text(response)
    assert 'class="field-error"' in response.content.decode()
    with schema_context(fixture.workspace.schema_name):
        assert not LeadImport.objects.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit_named(make_workspace) -> None:
    fixture = make_workspace()
    too_large = b"email\n" + b"a" * (MAX_IMPORT_BYTES + 1)

    response = upload(fixture.signed_in_client(), too_large)

    assert response.status_code == 422
    assert "the limit is 50 MB" in page_text(response)


def test_the_mapping_is_guessed_from_the_headers_and_custom_fields(make_workspace) -> None:
    fixture = make_workspace()
    post(api(fixture), "/api/v1/custom-fields",
         {"key": "budget", "label": "Budget", "field_type": "number"})  # fmt: skip
    client = fixture.signed_in_client()
    response = upload(client, "E-mail,First Name,Company name,Budget,Favourite colour\n"
                              "ada@example.com,Ada,AE,1200,blue\n")  # fmt: skip
    import_id = import_id_of(response)

    page = client.get(response["Location"])
    form = mapping_form(client, import_id)
    columns = labelled_columns(client, import_id)

    assert page.status_code == 200 and "e.g. ada@example.com" in page_text(page)
    assert form[columns["E-mail"]] == "email"
    assert form[columns["First Name"]] == "first_name"
    assert form[columns["Company name"]] == "company"
    assert form[columns["Budget"]] == "custom_fields.budget"
    assert form[columns["Favourite colour"]] == ""  # Don't import


def test_a_bad_mapping_gets_the_form_back_with_the_error_at_the_column(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = import_id_of(upload(client, GOOD_AND_BAD))
    form = mapping_form(client, import_id)
    columns = labelled_columns(client, import_id)
    url = f"/leads/import/{import_id}/mapping/"

    twice = client.post(url, {**form, columns["Notes"]: "email"})
    nothing = client.post(url, dict.fromkeys(form, "") | {"on_duplicate": "skip"})
    no_contact = client.post(url, {**form, columns["E-mail"]: ""})
    tampered = client.post(url, {**form, columns["Notes"]: "password"})
    bad_option = client.post(url, {**form, "on_duplicate": "merge"})

    assert twice.status_code == 422
    assert "Email is already filled from “E-mail”" in page_text(twice)
    assert nothing.status_code == 422 and "at least one column" in page_text(nothing)
    assert no_contact.status_code == 422 and "every lead needs one" in page_text(no_contact)
    assert tampered.status_code == 422 and "Select a valid choice" in page_text(tampered)
    assert bad_option.status_code == 422
    with schema_context(fixture.workspace.schema_name):
        assert LeadImport.objects.get().mapping == {}  # nothing was saved
    assert _leads(fixture) == []


def test_the_preview_shows_the_first_rows_and_every_error_with_row_and_column(
    make_workspace,
) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client)

    text = page_text(client.get(f"/leads/import/{import_id}/"))

    assert "1 row of 3 has a problem" in text
    assert "Row 3 · E-mail 'bob@' is not a valid email address" in text
    assert "Ada Lovelace ada@example.com Analytical Engines" in text
    assert "Email from “E-mail”" in text
    assert "Import 2 good rows, skip 1" in text
    assert "Change the columns" in text and "Upload a fixed file" in text
    assert _leads(fixture) == []  # a preview writes nothing


def test_importing_skips_the_bad_rows_counts_and_links_to_the_leads(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client)

    response = client.post(f"/leads/import/{import_id}/run/", {"skip_bad_rows": "1"})
    result = page_text(client.get(response["Location"]))
    imported = page_text(client.get(f"/leads/import/{import_id}/leads/"))

    assert response.status_code == 302 and response["Location"] == f"/leads/import/{import_id}/"
    assert "2 created" in result and "0 updated" in result and "1 failed" in result
    assert "Row 3 · E-mail 'bob@' is not a valid email address" in result
    assert "See the 2 imported leads" in result
    assert "2 leads created or updated" in imported and "Ada Lovelace" in imported
    assert [lead.email for lead in _leads(fixture)] == ["ada@example.com", "carol@example.com"]
    ada = _leads(fixture)[0]
    assert ada.company == "Analytical Engines" and ada.notes == "likes maths"
    assert ada.source == "import"


def test_sending_the_import_again_or_refreshing_imports_nothing_twice(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client, FIXED, on_duplicate="update")
    run = f"/leads/import/{import_id}/run/"

    first = client.post(run)
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.filter(email="ada@example.com").update(company="Changed since")
    again = client.post(run)
    remap = client.post(f"/leads/import/{import_id}/mapping/", mapping_form(client, import_id))
    shown = page_text(client.get(f"/leads/import/{import_id}/"))

    assert first.status_code == again.status_code == 302
    assert remap.status_code == 302 and remap["Location"] == f"/leads/import/{import_id}/"
    assert "3 created" in shown
    with schema_context(fixture.workspace.schema_name):
        lead_import = LeadImport.objects.get()
        assert Lead.objects.count() == 3
        assert Lead.objects.get(email="ada@example.com").company == "Changed since"
    assert lead_import.created_count == 3 and lead_import.updated_count == 0


def test_an_import_with_errors_not_told_to_skip_them_writes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client)

    client.post(f"/leads/import/{import_id}/run/")
    text = page_text(client.get(f"/leads/import/{import_id}/"))

    assert "Nothing was imported: 1 row has problems" in text
    assert "The rows to fix" in text and "Row 3 · E-mail" in text
    assert _leads(fixture) == []


def test_a_fixed_file_updates_existing_leads_when_asked(make_workspace) -> None:
    fixture = make_workspace()
    post(api(fixture), "/api/v1/leads", {"email": "ADA@example.com", "company": "Old Co"})
    client = fixture.signed_in_client()
    import_id = _previewed(client, FIXED, on_duplicate="update")

    client.post(f"/leads/import/{import_id}/run/")
    text = page_text(client.get(f"/leads/import/{import_id}/"))

    assert "2 created" in text and "1 updated" in text
    assert {lead.company for lead in _leads(fixture)} == {"Analytical Engines", "Fix It", ""}


def test_past_imports_are_listed_with_their_outcome(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    done = _previewed(client)
    client.post(f"/leads/import/{done}/run/", {"skip_bad_rows": "1"})
    _previewed(client, FIXED)
    import_id_of(upload(client, FIXED))

    text = page_text(client.get("/leads/import/"))

    assert "Imported 2 created · 0 updated · 0 skipped · 1 failed" in text
    assert "Previewed not imported" in text
    assert "Uploaded columns not chosen" in text


def test_a_member_imports_leads_as_the_services_allow(make_workspace) -> None:
    fixture = make_workspace()
    add_member(fixture.workspace, "member")
    member = sign_in_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")

    import_id = _previewed(member, FIXED)
    member.post(f"/leads/import/{import_id}/run/")

    assert len(_leads(fixture)) == 3
    assert "3 created" in page_text(member.get(f"/leads/import/{import_id}/"))


def test_another_workspaces_import_is_a_404_page_that_shows_nothing_of_it(
    two_workspaces,
) -> None:
    alpha, beta = two_workspaces
    secret = FIXED.replace("Analytical Engines", "Secret Engines")
    import_id = _previewed(alpha.signed_in_client(), secret)
    other = beta.signed_in_client()

    pages = [
        other.get(f"/leads/import/{import_id}/"),
        other.get(f"/leads/import/{import_id}/mapping/"),
        other.get(f"/leads/import/{import_id}/status/"),
        other.get(f"/leads/import/{import_id}/leads/"),
        other.post(f"/leads/import/{import_id}/run/", {"skip_bad_rows": "1"}),
        other.post(f"/leads/import/{import_id}/mapping/", {"column_0": "email"}),
    ]
    listed = page_text(other.get("/leads/import/"))

    assert [response.status_code for response in pages] == [404] * 6
    assert all("Secret" not in page_text(response) for response in pages)
    assert "Secret" not in listed and "No imports yet" in listed
    with schema_context(alpha.workspace.schema_name):
        assert LeadImport.objects.get().dry_run  # beta's post did not start it
        assert not Lead.objects.exists()


@override_settings(CRM_IMPORT_SYNC_MAX_ROWS=1)
def test_a_queued_import_shows_a_progress_bar_that_polls_until_done(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = import_id_of(upload(client, FIXED))
    client.post(f"/leads/import/{import_id}/mapping/", mapping_form(client, import_id))

    checking = client.get(f"/leads/import/{import_id}/")
    polled = client.get(f"/leads/import/{import_id}/status/", HTTP_HX_REQUEST="true")

    assert "Waiting for a worker" in page_text(checking)
    assert 'hx-trigger="every 1s"' in checking.content.decode()
    assert polled.status_code == 200 and "hx-get" in polled.content.decode()


def test_changing_the_columns_while_a_worker_checks_them_says_to_wait(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client)
    with schema_context(fixture.workspace.schema_name):
        LeadImport.objects.filter(pk=import_id).update(status=LeadImport.Status.VALIDATING)

    remap = client.post(f"/leads/import/{import_id}/mapping/", mapping_form(client, import_id))
    run = client.post(f"/leads/import/{import_id}/run/", {"skip_bad_rows": "1"})

    assert remap.status_code == 409 and "still being checked" in page_text(remap)
    assert 'name="column_0"' in remap.content.decode()  # the form is back
    assert run.status_code == 409 and "still being checked" in page_text(run)
    assert _leads(fixture) == []


def test_a_file_with_only_a_header_offers_nothing_to_import(make_workspace) -> None:
    client = make_workspace().signed_in_client()
    import_id = _previewed(client, "email,first name\n")

    text = page_text(client.get(f"/leads/import/{import_id}/"))

    assert "The file has no rows under its header" in text
    assert "Import 0" not in text


def test_while_writing_the_status_says_the_rows_land_together(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    import_id = _previewed(client, FIXED)
    with schema_context(fixture.workspace.schema_name):
        LeadImport.objects.filter(pk=import_id).update(
            dry_run=False, status=LeadImport.Status.WRITING, processed_rows=3
        )

    text = page_text(client.get(f"/leads/import/{import_id}/status/", HTTP_HX_REQUEST="true"))

    assert "Writing leads" in text and "95%" in text and "all rows checked" in text
    assert "Writing 3 leads in one go" in text
