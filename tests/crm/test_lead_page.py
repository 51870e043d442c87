"""A lead's page: the profile, stage, owner and status changed in place, tags with
suggestions from the catalogue, custom fields, the timeline a page at a time, logging a call
or a note, and tasks; each through the API's services. Members work leads but cannot stop
their email; another workspace's session gets the 404 page and changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, EventLog, Lead, LeadTag, Message, PipelineStage, Task
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.pages import page_text
from tests.support.query_counter import queries_run

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _lead(fixture, **fields) -> int:
    response = post(api(fixture), "/api/v1/leads", {"email": "ada@x.example", **fields})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _in(fixture, function):
    with schema_context(fixture.workspace.schema_name):
        return function()


def test_the_page_shows_the_profile_pipeline_tags_and_timeline(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(
        fixture, first_name="Ada", last_name="Lovelace", company="Engines",
        phone="+44 20 7946 0001", tags=["vip"], source="referral", notes="Met at the webinar.",
    )  # fmt: skip

    response = fixture.signed_in_client().get(f"/leads/{lead_id}/")
    text = page_text(response)

    assert response.status_code == 200
    for shown in ("Ada Lovelace", "Engines", "+442079460001", "ada@x.example", "Referral", "vip",
                  "Met at the webinar.", "Lead created", "Pipeline", "Open tasks"):  # fmt: skip
        assert shown in text, shown
    assert f'href="/leads/{lead_id}/edit/"' in response.content.decode()


def test_stage_owner_and_status_change_in_place_and_the_timeline_names_them(
    make_workspace,
) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture, first_name="Ada")
    stage = _in(fixture, lambda: PipelineStage.objects.order_by("order")[1])
    member = add_member(fixture.workspace, "member")
    page = fixture.signed_in_client()

    moved = page.post(f"/leads/{lead_id}/pipeline/", {"stage": stage.pk}, **HTMX)
    owned = page.post(f"/leads/{lead_id}/pipeline/", {"owner": member.pk}, **HTMX)
    status = page.post(f"/leads/{lead_id}/pipeline/", {"status": "contacted"})
    timeline = page_text(page.get(f"/leads/{lead_id}/timeline/"))

    assert moved.status_code == 200 and moved["HX-Trigger"] == "lead-changed"
    assert f'value="{stage.pk}" selected' in moved.content.decode()
    assert owned.status_code == 200 and status.status_code == 302
    lead = _in(fixture, lambda: Lead.objects.get())
    assert (lead.stage_id, lead.owner_id, lead.status) == (stage.pk, member.pk, "contacted")
    assert f"Stage: no stage → {stage.name}" in timeline
    assert f"Owner: nobody → {member.display_name}" in timeline
    assert "Status: New → Contacted" in timeline


def test_a_bad_stage_or_status_comes_back_beside_its_select_and_changes_nothing(
    make_workspace,
) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    page = fixture.signed_in_client()

    stage = page.post(f"/leads/{lead_id}/pipeline/", {"stage": "999999"}, **HTMX)
    status = page.post(f"/leads/{lead_id}/pipeline/", {"status": "royalty"})
    garbage = page.post(f"/leads/{lead_id}/pipeline/", {"owner": "ten"}, **HTMX)

    assert stage.status_code == 422 and "No pipeline stage with this id." in page_text(stage)
    assert status.status_code == 422 and "Use one of" in page_text(status)
    assert garbage.status_code == 422 and "Choose one from the list." in page_text(garbage)
    lead = _in(fixture, lambda: Lead.objects.get())
    assert (lead.stage_id, lead.status) == (None, "new")
    assert _in(fixture, lambda: EventLog.objects.filter(verb="updated").count()) == 0


def test_tags_are_added_and_removed_and_suggested_from_the_catalogue(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture, tags=["vip"])
    _lead(fixture, email="other@x.example", tags=["webinar", "spring-cohort"])
    page = fixture.signed_in_client()

    shown = page.get(f"/leads/{lead_id}/").content.decode()
    added = page.post(f"/leads/{lead_id}/tags/", {"tag": " Webinar "}, **HTMX)
    suggested = page.get(f"/leads/{lead_id}/tags/suggestions/?tag=SP", **HTMX).content.decode()
    removed = page.post(f"/leads/{lead_id}/tags/remove/", {"tag": "vip"})
    too_long = page.post(f"/leads/{lead_id}/tags/", {"tag": "x" * 51}, **HTMX)

    assert '<option value="webinar">' in shown and '<option value="vip">' not in shown
    assert added.status_code == 200 and "webinar" in page_text(added)
    assert suggested.strip() == '<option value="spring-cohort"></option>'
    assert removed.status_code == 302
    assert too_long.status_code == 422 and "at most 50 characters" in page_text(too_long)
    assert _in(fixture, lambda: Lead.objects.get(pk=lead_id).tags) == ["webinar"]
    # "vip" is on no lead any more, so it is no longer suggested.
    catalogue = _in(fixture, lambda: list(LeadTag.objects.values_list("name", flat=True)))
    assert catalogue == ["spring-cohort", "webinar"]
    timeline = page_text(page.get(f"/leads/{lead_id}/timeline/"))
    assert "Tagged webinar" in timeline and "Untagged vip" in timeline


def test_custom_fields_are_saved_by_type_and_bad_values_come_back_inline(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)

    def define() -> None:
        CustomFieldDefinition.objects.create(key="budget", label="Budget", field_type="number")
        CustomFieldDefinition.objects.create(key="call_on", label="Call on", field_type="date")
        CustomFieldDefinition.objects.create(key="vip", label="VIP", field_type="boolean")
        CustomFieldDefinition.objects.create(
            key="plan", label="Plan", field_type="select", options=["solo", "team"]
        )

    _in(fixture, define)
    page = fixture.signed_in_client()

    form = page_text(page.get(f"/leads/{lead_id}/"))
    saved = page.post(
        f"/leads/{lead_id}/custom-fields/",
        {"budget": "1500", "call_on": "2026-12-24", "vip": "yes", "plan": "team"},
        **HTMX,
    )
    bad = page.post(
        f"/leads/{lead_id}/custom-fields/",
        {"budget": "lots", "call_on": "someday", "vip": "", "plan": "enterprise"},
        **HTMX,
    )
    cleared = page.post(f"/leads/{lead_id}/custom-fields/", {"budget": "", "plan": "solo"})

    assert "Budget" in form and "Call on" in form and "Plan" in form
    assert saved.status_code == 200
    assert bad.status_code == 422
    bad_text = page_text(bad)
    assert "Enter a number." in bad_text and "Enter a valid date." in bad_text
    assert "Select a valid choice." in bad_text
    assert cleared.status_code == 302
    assert _in(fixture, lambda: Lead.objects.get().custom_fields) == {"plan": "solo"}


def test_a_call_or_note_logged_on_the_page_is_on_the_timeline(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    page = fixture.signed_in_client()

    call = page.post(
        f"/leads/{lead_id}/log/",
        {"channel": "call", "subject": "Intro call", "body": "Wants the spring cohort."},
        **HTMX,
    )
    note = page.post(f"/leads/{lead_id}/log/", {"channel": "note", "body": "Prefers email."})
    text = page_text(page.get(f"/leads/{lead_id}/"))

    assert call.status_code == 200 and call["HX-Trigger"] == "lead-changed"
    assert note.status_code == 302
    assert "Call: Intro call" in text and "Wants the spring cohort." in text
    assert "Prefers email." in text
    message = _in(fixture, lambda: Message.objects.get(channel="call"))
    assert message.author is not None and message.direction == "outbound"
    assert _in(fixture, lambda: Lead.objects.get().last_contacted_at) is not None


def test_a_log_without_words_or_in_the_future_is_refused_inline(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    page = fixture.signed_in_client()
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    empty = page.post(f"/leads/{lead_id}/log/", {"channel": "note", "body": "  "}, **HTMX)
    future = page.post(
        f"/leads/{lead_id}/log/", {"channel": "call", "body": "x", "occurred_at": tomorrow}
    )
    unknown = page.post(f"/leads/{lead_id}/log/", {"channel": "fax", "body": "x"}, **HTMX)

    assert empty.status_code == 422 and "Write what happened" in page_text(empty)
    assert future.status_code == 422 and "That is in the future" in page_text(future)
    assert unknown.status_code == 422 and "Select a valid choice" in page_text(unknown)
    assert _in(fixture, lambda: Message.objects.count()) == 0


def test_a_task_is_added_for_the_lead_and_completed_from_the_page(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    member = add_member(fixture.workspace, "member")
    page = fixture.signed_in_client()

    added = page.post(
        f"/leads/{lead_id}/tasks/new/",
        {"title": "Send the syllabus", "due_at": "2026-12-03T09:30", "assignee": member.pk},
        **HTMX,
    )
    task = _in(fixture, lambda: Task.objects.get())
    listed = page_text(page.get(f"/leads/{lead_id}/tasks/"))
    done = page.post(f"/leads/{lead_id}/tasks/{task.pk}/done/", **HTMX)
    no_title = page.post(f"/leads/{lead_id}/tasks/new/", {"title": ""}, **HTMX)

    assert added.status_code == 200 and added["HX-Trigger"] == "lead-changed"
    assert (task.lead_id, task.assignee_id) == (lead_id, member.pk)
    assert "Send the syllabus" in listed and "Due 3 Dec 2026, 09:30" in listed
    assert done.status_code == 200 and "No open tasks" in page_text(done)
    assert _in(fixture, lambda: Task.objects.get().done_at) is not None
    assert no_title.status_code == 422 and "This field is required." in page_text(no_title)
    timeline = page_text(page.get(f"/leads/{lead_id}/timeline/"))
    assert "Task: Send the syllabus" in timeline and "Done" in timeline


def test_another_leads_task_cannot_be_completed_from_this_lead(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    other = _lead(fixture, email="other@x.example")
    task = post(api(fixture), "/api/v1/tasks", {"title": "Theirs", "lead": other}).json()

    response = fixture.signed_in_client().post(f"/leads/{lead_id}/tasks/{task['id']}/done/")

    assert response.status_code == 404
    assert _in(fixture, lambda: Task.objects.get().done_at) is None


def test_the_timeline_pages_newest_first_with_show_older(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    start = timezone.now() - timedelta(days=60)

    def history() -> None:
        lead = Lead.objects.get()
        Message.objects.bulk_create(
            Message(
                lead=lead, channel="note", body=f"Note {n}", occurred_at=start + timedelta(hours=n)
            )
            for n in range(40)
        )

    _in(fixture, history)
    page = fixture.signed_in_client()

    first = page.get(f"/leads/{lead_id}/").content.decode()
    cursor = first.split(f'hx-get="/leads/{lead_id}/timeline/?cursor=')[1].split('"')[0]
    older = page.get(f"/leads/{lead_id}/timeline/?cursor={cursor}", **HTMX)
    bad = page.get(f"/leads/{lead_id}/timeline/?cursor=nonsense")

    first_text = page_text(first_response := page.get(f"/leads/{lead_id}/"))
    assert first_response.status_code == 200
    assert (
        first_text.index("Lead created") < first_text.index("Note 39") < first_text.index("Note 16")
    )
    assert "Note 15 " not in first_text
    older_text = page_text(older)
    assert "Note 15" in older_text and "Note 0" in older_text and "Note 16 " not in older_text
    assert "Show older" not in older_text
    assert bad.status_code == 400


def test_the_page_costs_the_same_queries_with_a_long_history(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture, tags=["vip"])
    page = fixture.signed_in_client()
    page.get(f"/leads/{lead_id}/")
    with queries_run() as short:
        page.get(f"/leads/{lead_id}/")

    def history() -> None:
        lead = Lead.objects.get()
        Message.objects.bulk_create(Message(lead=lead, channel="call", body="x") for _ in range(60))
        Task.objects.bulk_create(
            Task(lead=lead, title="t", due_at=timezone.now()) for _ in range(30)
        )
        EventLog.objects.bulk_create(
            EventLog(verb="updated", object_type="lead", object_id=lead.pk,
                     changes={"status": {"before": "new", "after": "contacted"}})
            for _ in range(60)
        )  # fmt: skip

    _in(fixture, history)
    page.get(f"/leads/{lead_id}/")  # the host is looked up again after the schema switch
    with queries_run() as long:
        response = page.get(f"/leads/{lead_id}/")

    selects = [sql for sql in long if sql.startswith("SELECT")]
    assert response.status_code == 200
    # Session, user, lead (with stage and owner), stages, members, tag suggestions, custom
    # fields, open tasks, and the timeline's three sources: one query each, however long.
    assert len(long) == len(short) and len(selects) == 11


def test_a_member_works_the_lead_but_cannot_stop_its_email(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    add_member(fixture.workspace, "member", "m@x.example")
    member = sign_in_client(fixture.workspace, "m@x.example")

    logged = member.post(f"/leads/{lead_id}/log/", {"channel": "note", "body": "Hi"})
    tagged = member.post(f"/leads/{lead_id}/tags/", {"tag": "warm"})
    card = page_text(member.get(f"/leads/{lead_id}/email/state/", **HTMX))
    refused = member.post(f"/leads/{lead_id}/email/suppress/")
    fields = page_text(member.get(f"/leads/{lead_id}/"))

    assert logged.status_code == 302 and tagged.status_code == 302
    assert "Subscribed" in card and "Stop emailing" not in card
    assert refused.status_code == 403 and "Not allowed" in page_text(refused)
    assert "An admin can add them in Settings" in fields
    lead = _in(fixture, lambda: Lead.objects.get())
    assert lead.tags == ["warm"] and lead.unsubscribed_at is None


def test_another_workspaces_session_gets_404_on_every_lead_url_and_changes_nothing(
    two_workspaces,
) -> None:
    alpha, beta = two_workspaces
    lead_id = _lead(alpha, first_name="Secret", tags=["vip"])
    task = post(api(alpha), "/api/v1/tasks", {"title": "Secret task", "lead": lead_id}).json()
    intruder = beta.signed_in_client()

    answers = [
        intruder.get(f"/leads/{lead_id}/"),
        intruder.get(f"/leads/{lead_id}/timeline/"),
        intruder.get(f"/leads/{lead_id}/tasks/"),
        intruder.get(f"/leads/{lead_id}/tags/suggestions/?tag=v"),
        intruder.post(f"/leads/{lead_id}/pipeline/", {"status": "lost"}),
        intruder.post(f"/leads/{lead_id}/tags/", {"tag": "stolen"}),
        intruder.post(f"/leads/{lead_id}/tags/remove/", {"tag": "vip"}),
        intruder.post(f"/leads/{lead_id}/custom-fields/", {}),
        intruder.post(f"/leads/{lead_id}/log/", {"channel": "note", "body": "Hi"}),
        intruder.post(f"/leads/{lead_id}/tasks/new/", {"title": "Mine now"}),
        intruder.post(f"/leads/{lead_id}/tasks/{task['id']}/done/"),
        intruder.get(f"/leads/{lead_id}/email/state/"),
        intruder.post(f"/leads/{lead_id}/email/suppress/"),
        intruder.post(f"/leads/{lead_id}/email/", {"subject": "Hi", "body": "Hi"}),
    ]

    for response in answers:
        assert response.status_code == 404, response.request["PATH_INFO"]
        assert "Secret" not in page_text(response)
    lead = _in(alpha, lambda: Lead.objects.get())
    assert (lead.status, lead.tags) == ("new", ["vip"])
    assert _in(alpha, lambda: (Message.objects.count(), Task.objects.get().done_at)) == (0, None)
    assert _in(beta, lambda: (Message.objects.count(), Task.objects.count())) == (0, 0)
