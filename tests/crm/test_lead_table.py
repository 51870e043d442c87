"""The leads table as a person uses it: every filter in the URL, sort by the columns,
keyset pages, the total, columns chosen per member, create and edit in a modal and as full
pages, and the export of the filter; another workspace's leads never show."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from crm.models import CustomFieldDefinition, EventLog, Lead, PipelineStage
from crm.selectors.leads import LeadFilter, count_matching, filter_leads
from tests.support.clients import OWNER_PASSWORD, add_member, sign_in_client
from tests.support.leads import body_of
from tests.support.pages import page_text

HTMX = {"HTTP_HX_REQUEST": "true"}


def from_list(fixture, query: str = "tag=vip") -> dict[str, str]:
    """The headers htmx sends from the leads list at `query`."""
    return {**HTMX, "HTTP_HX_CURRENT_URL": f"http://{fixture.host}/leads/?{query}"}


@pytest.fixture
def table(make_workspace):
    """Twelve leads over twelve days: names, companies, stages, owners, tags, custom fields."""
    fixture = make_workspace()
    start = timezone.now() - timedelta(days=12)
    with schema_context(fixture.workspace.schema_name):
        owner = User.objects.get()
        qualified = PipelineStage.objects.get(name="Qualified")
        CustomFieldDefinition.objects.create(key="cohort", label="Cohort", field_type="number")
        CustomFieldDefinition.objects.create(
            key="plan", label="Plan", field_type="select", options=["basic", "pro"]
        )
        Lead.objects.bulk_create(
            Lead(
                first_name=f"Person{i}",
                last_name=f"Zed{i:02d}",
                email=f"p{i}@example.com",
                company="Globex" if i % 4 == 0 else "Initech",
                source="ads" if i % 2 else "referral",
                status="customer" if i < 3 else "new",
                tags=["vip"] if i % 3 == 0 else ["cold"],
                stage=qualified if i < 5 else None,
                owner=owner if i >= 8 else None,
                custom_fields={"cohort": i % 2 + 1, "plan": "pro" if i < 2 else "basic"},
                created_at=start + timedelta(days=i),
                updated_at=start + timedelta(days=i),
            )
            for i in range(12)
        )
    return fixture, qualified, owner, start


def names(response) -> list[str]:
    """The leads a page lists, in its order (the name links of its rows)."""
    return re.findall(
        r'<td class="name"><a href="/leads/\d+/">([^<]+)</a>', response.content.decode()
    )


def headings(response) -> list[str]:
    return re.findall(r"<th[^>]*>(?:<a[^>]*>)?([A-Z][a-z ]+)", response.content.decode())


def ids_of(fixture, *emails: str) -> list[int]:
    with schema_context(fixture.workspace.schema_name):
        return list(Lead.objects.filter(email__in=emails).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=globex", {0, 4, 8}),
        ("q=ZED07", {7}),
        ("status=customer", {0, 1, 2}),
        ("tag=VIP", {0, 3, 6, 9}),
        ("source=ads", {1, 3, 5, 7, 9, 11}),
        ("field=cohort&value=2", {1, 3, 5, 7, 9, 11}),
        ("field=plan&value=pro", {0, 1}),
        ("status=new&tag=cold&source=referral", {4, 8, 10}),
    ],
)
def test_each_filter_lists_only_the_leads_it_matches(table, query: str, expected: set) -> None:
    fixture = table[0]

    response = fixture.signed_in_client().get(f"/leads/?{query}")

    assert response.status_code == 200
    assert set(names(response)) == {f"Person{i} Zed{i:02d}" for i in expected}
    assert f"{len(expected)} lead" in page_text(response)


def test_stage_owner_and_created_date_filters(table) -> None:
    fixture, qualified, owner, start = table
    page = fixture.signed_in_client()
    first_day = timezone.localtime(start + timedelta(days=2)).date().isoformat()
    last_day = timezone.localtime(start + timedelta(days=4)).date().isoformat()

    by_stage = page.get(f"/leads/?stage={qualified.pk}")
    by_owner = page.get(f"/leads/?owner={owner.pk}")
    by_dates = page.get(f"/leads/?created_from={first_day}&created_to={last_day}")

    assert set(names(by_stage)) == {f"Person{i} Zed{i:02d}" for i in range(5)}
    assert set(names(by_owner)) == {f"Person{i} Zed{i:02d}" for i in range(8, 12)}
    assert set(names(by_dates)) == {f"Person{i} Zed{i:02d}" for i in (2, 3, 4)}


def test_a_bad_filter_comes_back_with_the_error_next_to_its_field(table) -> None:
    page = table[0].signed_in_client()

    not_a_number = page.get("/leads/?field=cohort&value=many")
    not_an_option = page.get("/leads/?field=plan&value=gold")
    backwards = page.get("/leads/?created_from=2026-03-10&created_to=2026-03-01")
    no_value = page.get("/leads/?field=plan")

    assert not_a_number.status_code == 400 and "Cohort holds numbers" in page_text(not_a_number)
    assert "Plan is one of: basic, pro" in page_text(not_an_option)
    assert backwards.status_code == 400 and "on or after" in page_text(backwards)
    assert no_value.status_code == 400 and "Give the value" in page_text(no_value)
    assert names(not_a_number) == []


def test_column_headings_sort_and_sort_again_the_other_way(table) -> None:
    page = table[0].signed_in_client()

    by_name = page.get("/leads/?sort=last_name&tag=cold")
    html = by_name.content.decode()
    reversed_link = re.search(r'aria-sort="ascending"><a href="\?([^"]+)"', html)

    assert names(by_name)[:2] == ["Person1 Zed01", "Person2 Zed02"]
    assert reversed_link and "sort=-last_name" in reversed_link.group(1)
    assert "tag=cold" in reversed_link.group(1)  # the filter stays in the sorting link
    assert names(page.get("/leads/?sort=-last_name"))[0] == "Person11 Zed11"
    assert names(page.get("/leads/?sort=created_at"))[0] == "Person0 Zed00"


@pytest.mark.parametrize("sort", ["stage_id", "-stage_id", "owner_id", "-owner_id",
                                  "last_contacted_at", "-last_contacted_at", "status"])  # fmt: skip
def test_keyset_pages_by_a_column_with_empty_values_list_each_lead_once(table, sort) -> None:
    fixture = table[0]
    with schema_context(fixture.workspace.schema_name):
        for number in range(60):  # more than a page (50)
            Lead.objects.create(email=f"more{number}@example.com")
    page = fixture.signed_in_client()

    first = page.get(f"/leads/?sort={sort}")
    cursor = re.search(r'cursor=([^"&]+)"', first.content.decode())
    second = page.get(f"/leads/?sort={sort}&cursor={cursor.group(1) if cursor else ''}")
    seen = names(first) + names(second)

    assert len(names(first)) == 50
    assert len(seen) == len(set(seen)) == 72  # every lead, once
    assert "72 leads" in page_text(first)


def test_the_total_is_counted_up_to_a_cap_and_says_so_past_it(table) -> None:
    fixture = table[0]
    with schema_context(fixture.workspace.schema_name):
        everyone = filter_leads(LeadFilter())
        vip = filter_leads(LeadFilter(tag=["vip"]))

        assert count_matching(vip, cap=20) == (vip.count(), True)
        assert count_matching(vip, cap=3) == (3, False)  # "more than 3"
        # Every lead: exact whatever the cap, from the stage tally the database keeps.
        assert count_matching(everyone, cap=5) == (12, True)


def test_each_member_keeps_their_own_columns(table) -> None:
    fixture = table[0]
    add_member(fixture.workspace, "member")
    owner = fixture.signed_in_client()
    member = sign_in_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")

    saved = owner.post(
        "/leads/columns/", {"columns": ["phone", "cf:cohort", "source"], "back": "tag=vip"}
    )
    owner_page = owner.get("/leads/?tag=vip")
    member_page = member.get("/leads/?tag=vip")

    assert saved.status_code == 302 and saved["Location"] == "/leads/?tag=vip"
    assert headings(owner_page) == ["Name", "Phone", "Source", "Cohort"]
    assert headings(member_page) == ["Name", "Email", "Company", "Status", "Stage", "Owner",
                                  "Tags", "Added"]  # fmt: skip
    assert "Your columns are saved." in page_text(owner_page)
    assert ">2</td>" in owner_page.content.decode() or ">1</td>" in owner_page.content.decode()


def test_an_unknown_column_is_refused_and_the_choice_is_unchanged(table) -> None:
    page = table[0].signed_in_client()

    refused = page.post("/leads/columns/", {"columns": ["email", "password"]})

    assert refused.status_code == 422 and "No column named password" in page_text(refused)
    assert "<th>Email</th>" in page.get("/leads/").content.decode()


def test_an_empty_workspace_offers_to_add_or_import(make_workspace) -> None:
    response = make_workspace().signed_in_client().get("/leads/")
    text = page_text(response)

    assert "No leads yet" in text and "Add a lead" in text
    assert 'href="/leads/import/"' in response.content.decode()


def test_a_filter_that_matches_nothing_offers_to_clear_it(table) -> None:
    text = page_text(table[0].signed_in_client().get("/leads/?q=nobody-at-all"))

    assert "No lead matches these filters" in text and "Clear the filters" in text


def test_the_modal_form_shows_each_error_inline_as_a_422_fragment(table) -> None:
    fixture = table[0]
    page = fixture.signed_in_client()

    opened = page.get("/leads/new/", **HTMX)
    missing = page.post(
        "/leads/new/", {"first_name": "Ada", "status": "new", "source": "api"}, **HTMX
    )
    taken = page.post(
        "/leads/new/", {"email": "P1@example.com", "status": "new", "source": "api"}, **HTMX
    )

    assert opened.status_code == 200 and b"<html" not in opened.content
    assert b'hx-post="/leads/new/"' in opened.content
    assert missing.status_code == 422 and b"<html" not in missing.content
    assert re.search(
        r'id_email.*?field-error">Give an email address or a phone number',
        missing.content.decode(),
        re.S,
    )
    assert taken.status_code == 422 and "already has this email" in page_text(taken)
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 12


def test_adding_in_the_modal_reloads_the_list_it_opened_on_with_a_toast(table) -> None:
    fixture, qualified, owner, _ = table
    page = fixture.signed_in_client()

    added = page.post(
        "/leads/new/",
        {"first_name": "Ada", "email": "ada@x.example", "status": "new", "source": "referral",
         "stage": qualified.pk, "owner": owner.pk, "tags": "vip"},
        **from_list(fixture),
    )  # fmt: skip
    listed = page.get("/leads/?tag=vip")

    assert added.status_code == 204 and added["HX-Redirect"] == "/leads/?tag=vip"
    assert "Ada is added." in page_text(listed) and "Ada" in names(listed)
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(email="ada@x.example")
        assert (lead.stage_id, lead.owner_id) == (qualified.pk, owner.pk)


def test_editing_a_lead_as_a_full_page_changes_only_what_changed(table) -> None:
    fixture = table[0]
    page = fixture.signed_in_client()
    (lead_id,) = ids_of(fixture, "p4@example.com")

    form = page.get(f"/leads/{lead_id}/edit/")
    saved = page.post(
        f"/leads/{lead_id}/edit/",
        {"first_name": "Person4", "last_name": "Zed04", "email": "p4@example.com",
         "company": "Umbrella", "status": "qualified", "source": "referral",
         "tags": "vip, cold"},
    )  # fmt: skip
    bad = page.post(f"/leads/{lead_id}/edit/", {"email": "nope", "status": "new", "source": "ads"})

    assert form.status_code == 200 and 'value="Globex"' in form.content.decode()
    assert saved.status_code == 302 and saved["Location"] == f"/leads/{lead_id}/"
    assert bad.status_code == 422 and "Enter a valid email address" in page_text(bad)
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
        change = EventLog.objects.filter(object_id=lead_id, verb="updated").get()
    assert (lead.company, lead.status, lead.tags, lead.email) == (
        "Umbrella", "qualified", ["cold", "vip"], "p4@example.com"
    )  # fmt: skip
    assert set(change.changes) >= {"company", "status", "tags"} and "email" not in change.changes


def test_the_export_is_the_filter_as_csv_with_formulas_neutralised(table) -> None:
    fixture = table[0]
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.create(email="f@example.com", company="=HYPERLINK(1)", tags=["vip"])
    page = fixture.signed_in_client()

    response = page.get("/leads/export/?tag=vip")
    text = body_of(response)

    assert response["Content-Type"].startswith("text/csv")
    assert text.count("\n") == 1 + 5  # the header and the five vip leads
    assert "'=HYPERLINK(1)" in text and "p1@example.com" not in text


def test_another_workspace_cannot_see_edit_or_export_a_lead_by_id(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        secret = Lead.objects.create(first_name="Secret", email="secret@alpha.example")
    intruder = beta.signed_in_client()

    edit_form = intruder.get(f"/leads/{secret.pk}/edit/")
    edited = intruder.post(
        f"/leads/{secret.pk}/edit/", {"first_name": "Pwned", "email": "x@beta.example",
                                      "status": "new", "source": "api"}
    )  # fmt: skip
    modal = intruder.get(f"/leads/{secret.pk}/edit/", **HTMX)
    exported = body_of(intruder.get("/leads/export/"))
    listed = intruder.get("/leads/?q=secret")

    assert edit_form.status_code == edited.status_code == modal.status_code == 404
    assert "Secret" not in page_text(edit_form) and "secret@" not in page_text(modal)
    assert "secret@alpha.example" not in exported
    assert names(listed) == []
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get(pk=secret.pk).first_name == "Secret"


def test_a_member_uses_the_table_with_their_own_session(table) -> None:
    fixture = table[0]
    add_member(fixture.workspace, "member")
    member = sign_in_client(
        fixture.workspace, f"member@{fixture.workspace.slug}.example", OWNER_PASSWORD
    )

    listed = member.get("/leads/?tag=vip")

    assert listed.status_code == 200 and len(names(listed)) == 4
    assert "Add a lead" in page_text(listed) and 'name="ids"' in listed.content.decode()


def test_custom_fields_are_set_in_the_form_with_their_errors_inline(table) -> None:
    fixture = table[0]
    page = fixture.signed_in_client()
    (lead_id,) = ids_of(fixture, "p5@example.com")
    base = {"email": "p5@example.com", "first_name": "Person5", "status": "new", "source": "ads"}

    form = page.get(f"/leads/{lead_id}/edit/", **HTMX)
    bad = page.post(f"/leads/{lead_id}/edit/", {**base, "cf_cohort": "many"}, **HTMX)
    saved = page.post(f"/leads/{lead_id}/edit/", {**base, "cf_cohort": "7", "cf_plan": "pro"})

    assert (
        "Custom fields" in page_text(form) and 'name="cf_cohort" value="2"' in form.content.decode()
    )
    assert bad.status_code == 422
    assert re.search(r'id_cf_cohort.*?field-error">Enter a number', bad.content.decode(), re.S)
    assert saved.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get(pk=lead_id).custom_fields == {"cohort": 7, "plan": "pro"}


def test_the_api_pages_by_the_new_sorts_with_empty_values_too(table) -> None:
    from tests.support.clients import api

    client, seen, cursor = api(table[0]), [], ""
    while True:
        page = client.get(f"/api/v1/leads?limit=5&sort=-owner_id&cursor={cursor}").json()
        seen += [lead["id"] for lead in page["items"]]
        if not page["next"]:
            break
        cursor = page["next"]

    assert len(seen) == len(set(seen)) == 12
