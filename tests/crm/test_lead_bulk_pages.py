"""Bulk actions of the leads table: a confirmation naming the count, then the action through
the service the API uses, on the ticked rows or on every lead matching the filter, and a toast
saying what was done; another workspace's ids change nothing."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from accounts.models import User
from crm.models import EventLog, Lead, PipelineStage
from tests.support.pages import page_text


@pytest.fixture
def leads(make_workspace):
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.bulk_create(
            Lead(email=f"l{i}@example.com", first_name=f"L{i}", tags=["spring"] if i < 4 else [])
            for i in range(6)
        )
        ids = list(Lead.objects.order_by("email").values_list("pk", flat=True))
        stage = PipelineStage.objects.get(name="Qualified")
        owner = User.objects.get()
    return fixture, ids, stage, owner


def state(fixture, *fields: str) -> list[tuple]:
    with schema_context(fixture.workspace.schema_name):
        return list(Lead.objects.order_by("email").values_list(*fields))


def test_tagging_the_ticked_rows_asks_first_then_tags_them_with_a_toast(leads) -> None:
    fixture, ids, _, _ = leads
    page = fixture.signed_in_client()
    choice = {"action": "tag", "tags": "VIP, webinar", "scope": "selected", "ids": ids[:2],
              "filter": "tag=spring"}  # fmt: skip

    asked = page.post("/leads/bulk/", choice)
    untouched = state(fixture, "tags")
    done = page.post("/leads/bulk/", {**choice, "confirmed": "1"})
    listed = page.get(done["Location"])

    assert asked.status_code == 200 and "Tag 2 leads with vip, webinar?" in page_text(asked)
    assert untouched[0] == (["spring"],)
    assert done.status_code == 302 and done["Location"] == "/leads/?tag=spring"
    assert "Tagged 2 leads with vip, webinar." in page_text(listed)
    assert state(fixture, "tags")[:3] == [
        (["spring", "vip", "webinar"],), (["spring", "vip", "webinar"],), (["spring"],)
    ]  # fmt: skip


def test_deleting_every_lead_matching_the_filter_names_the_count(leads) -> None:
    fixture, _, _, _ = leads
    page = fixture.signed_in_client()
    choice = {"action": "delete", "scope": "filter", "filter": "tag=spring"}

    asked = page.post("/leads/bulk/", choice, HTTP_HX_REQUEST="true")
    done = page.post("/leads/bulk/", {**choice, "confirmed": "1"})

    assert "Delete 4 leads? This cannot be undone." in page_text(asked)
    assert b"<html" not in asked.content  # the modal's body
    assert "Deleted 4 leads." in page_text(page.get(done["Location"]))
    assert state(fixture, "email") == [(f"l{i}@example.com",) for i in (4, 5)]
    with schema_context(fixture.workspace.schema_name):
        assert EventLog.objects.filter(verb="deleted").count() == 4


def test_untag_assign_and_move_stage_on_the_ticked_rows(leads) -> None:
    fixture, ids, stage, owner = leads
    page = fixture.signed_in_client()
    base = {"scope": "selected", "ids": ids[:3], "confirmed": "1"}

    untagged = page.post("/leads/bulk/", {**base, "action": "untag", "tags": "spring"})
    assigned = page.post("/leads/bulk/", {**base, "action": "assign_owner", "owner": owner.pk})
    moved = page.post("/leads/bulk/", {**base, "action": "move_stage", "stage": stage.pk})
    toasts = page_text(page.get("/leads/"))

    assert untagged.status_code == assigned.status_code == moved.status_code == 302
    assert state(fixture, "tags", "owner_id", "stage_id")[:4] == [
        ([], owner.pk, stage.pk), ([], owner.pk, stage.pk), ([], owner.pk, stage.pk),
        (["spring"], None, None),
    ]  # fmt: skip
    assert "Moved 3 leads to Qualified." in toasts and "Assigned 3 leads to" in toasts


def test_the_confirmation_of_an_assignment_names_the_member_and_the_stage(leads) -> None:
    fixture, ids, stage, owner = leads
    page = fixture.signed_in_client()

    assign = page.post(
        "/leads/bulk/",
        {"action": "assign_owner", "owner": owner.pk, "scope": "selected", "ids": ids[:1]},
    )
    move = page.post("/leads/bulk/", {"action": "move_stage", "stage": stage.pk, "scope": "filter"})

    assert f"Assign 1 lead to {owner.display_name}?" in page_text(assign)
    assert "Move 6 leads to Qualified?" in page_text(move)


def test_a_bulk_action_without_rows_or_tags_says_what_is_missing_and_changes_nothing(
    leads,
) -> None:
    fixture, ids, _, _ = leads
    page = fixture.signed_in_client()

    no_rows = page.post("/leads/bulk/", {"action": "delete", "scope": "selected"})
    no_tags = page.post(
        "/leads/bulk/",
        {"action": "tag", "tags": " , ", "scope": "selected", "ids": ids, "confirmed": "1"},
        HTTP_HX_REQUEST="true",
    )
    no_action = page.post("/leads/bulk/", {"action": "", "scope": "filter", "confirmed": "1"})

    assert no_rows.status_code == 422 and "Tick the leads first" in page_text(no_rows)
    assert no_tags.status_code == 422 and "Type the tag" in page_text(no_tags)
    assert no_action.status_code == 422
    assert len(state(fixture, "email")) == 6
    assert state(fixture, "tags")[4] == ([],)


def test_another_workspaces_ids_are_counted_as_none_and_changed_never(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        secret = Lead.objects.create(first_name="Secret", email="secret@alpha.example")
    intruder = beta.signed_in_client()
    choice = {"action": "delete", "scope": "selected", "ids": [secret.pk]}

    asked = intruder.post("/leads/bulk/", choice)
    done = intruder.post("/leads/bulk/", {**choice, "confirmed": "1"})
    tagged = intruder.post(
        "/leads/bulk/", {**choice, "action": "tag", "tags": "pwned", "confirmed": "1"}
    )

    assert "Delete 0 leads" in page_text(asked) and "nothing to do" in page_text(asked)
    assert "Secret" not in page_text(asked)
    assert "Deleted 0 leads." in page_text(intruder.get(done["Location"]))
    assert tagged.status_code == 302
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get(pk=secret.pk).tags == []


def test_a_member_may_act_in_bulk_as_the_permission_matrix_allows(leads) -> None:
    from tests.support.clients import add_member, sign_in_client

    fixture, ids, _, _ = leads
    add_member(fixture.workspace, "member")
    member = sign_in_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")

    done = member.post(
        "/leads/bulk/",
        {"action": "tag", "tags": "vip", "scope": "selected", "ids": ids[:1], "confirmed": "1"},
    )

    assert done.status_code == 302
    assert state(fixture, "tags")[0] == (["spring", "vip"],)


def test_signed_out_bulk_posts_change_nothing(leads) -> None:
    fixture, ids, _, _ = leads

    response = fixture.client().post(
        "/leads/bulk/", {"action": "delete", "scope": "selected", "ids": ids, "confirmed": "1"}
    )

    assert response.status_code in (302, 403)
    assert len(state(fixture, "email")) == 6
