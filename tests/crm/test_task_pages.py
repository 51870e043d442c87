"""The tasks page: tabs by due time in the workspace's time zone, one-click complete and
assign (htmx), a new task with a lead picker, errors on the form, and another workspace's
task is a 404 that changes nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Task
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.pages import page_text

HTMX = {"HX-Request": "true"}


def _task(fixture, **fields) -> int:
    response = post(api(fixture), "/api/v1/tasks", fields)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _owner_id(fixture) -> int:
    from accounts.models import User

    with schema_context(fixture.workspace.schema_name):
        return User.objects.get(email=fixture.owner_email).pk


def _task_row(fixture, task_id: int) -> Task:
    with schema_context(fixture.workspace.schema_name):
        return Task.objects.get(pk=task_id)


def test_the_tabs_sort_tasks_by_when_they_are_due(make_workspace) -> None:
    fixture = make_workspace()
    me = _owner_id(fixture)
    now = timezone.now()
    _task(fixture, title="Late call", due_at=(now - timedelta(days=2)).isoformat(), assignee=me)
    _task(fixture, title="Later proposal", due_at=(now + timedelta(days=3)).isoformat(),
          assignee=me)  # fmt: skip
    done = _task(fixture, title="Old thing", assignee=me)
    api(fixture).patch(f"/api/v1/tasks/{done}", {"done": True}, content_type="application/json")
    page = fixture.signed_in_client()

    mine = page_text(page.get("/tasks/"))
    overdue = page_text(page.get("/tasks/?tab=overdue"))
    upcoming = page_text(page.get("/tasks/?tab=upcoming"))
    finished = page_text(page.get("/tasks/?tab=done"))
    everything = page_text(page.get("/tasks/?tab=all"))

    assert "Late call" in mine and "Later proposal" in mine and "Old thing" not in mine
    assert "Late call" in overdue and "Overdue" in overdue and "Later proposal" not in overdue
    assert "Later proposal" in upcoming and "Late call" not in upcoming
    assert "Old thing" in finished and "Late call" not in finished
    assert all(title in everything for title in ("Late call", "Later proposal", "Old thing"))
    assert "Overdue 1" in mine and "Done 1" in mine


def test_due_today_is_the_day_in_the_workspace_time_zone(make_workspace, settings) -> None:
    fixture = make_workspace()
    me = _owner_id(fixture)
    _task(fixture, title="Due soon", due_at=(timezone.now() + timedelta(minutes=1)).isoformat(),
          assignee=me)  # fmt: skip

    text = page_text(fixture.signed_in_client().get("/tasks/?tab=today"))

    assert "Due soon" in text
    assert f"Due times are in {timezone.get_current_timezone_name()}" in text


def test_quick_complete_is_one_click_that_returns_the_row_and_records_the_event(
    make_workspace,
) -> None:
    fixture = make_workspace()
    task_id = _task(fixture, title="Send the workbook", assignee=_owner_id(fixture))
    page = fixture.signed_in_client()

    done = page.post(f"/tasks/{task_id}/complete/", {"tab": "mine"}, headers=HTMX)
    reopened = page.post(f"/tasks/{task_id}/reopen/", {"tab": "mine"})

    assert done.status_code == 200 and 'id="task-' in done.content.decode()
    assert "Reopen “Send the workbook”" in page_text(done)
    assert reopened.status_code == 302 and reopened["Location"] == "/tasks/?tab=mine"
    assert _task_row(fixture, task_id).done_at is None
    with schema_context(fixture.workspace.schema_name):
        changes = [e.changes for e in EventLog.objects.filter(object_type="task", verb="updated")]
    assert any("done_at" in change for change in changes) and len(changes) == 2


def test_a_member_completes_and_assigns_but_sees_only_their_own_lists(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    theirs = _task(fixture, title="Member call", assignee=member.pk)
    _task(fixture, title="Owner call", assignee=_owner_id(fixture))
    page = sign_in_client(fixture.workspace, member.email)

    listed = page_text(page.get("/tasks/"))
    all_tab = page_text(page.get("/tasks/?tab=all"))
    assigned = page.post(f"/tasks/{theirs}/assign/", {"assignee": _owner_id(fixture)},
                         headers=HTMX)  # fmt: skip
    completed = page.post(f"/tasks/{theirs}/complete/", headers=HTMX)

    assert "Member call" in listed and "Owner call" not in listed
    assert "All" not in [word for word in listed.split() if word == "All"]
    assert "Owner call" not in all_tab  # "all" is for admins: a member gets their own list
    assert assigned.status_code == 200 and completed.status_code == 200
    task = _task_row(fixture, theirs)
    assert task.assignee_id == _owner_id(fixture) and task.done_at is not None


def test_assigning_to_someone_unknown_is_a_4xx_and_changes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    task_id = _task(fixture, title="Call", assignee=_owner_id(fixture))
    page = fixture.signed_in_client()

    response = page.post(f"/tasks/{task_id}/assign/", {"assignee": 987654}, headers=HTMX)

    assert response.status_code == 422
    assert _task_row(fixture, task_id).assignee_id == _owner_id(fixture)


def test_a_new_task_links_the_lead_picked_and_its_due_time(make_workspace) -> None:
    fixture = make_workspace()
    lead = post(api(fixture), "/api/v1/leads", {"first_name": "Ada", "company": "Acme",
                                                "email": "ada@x.example"}).json()  # fmt: skip
    page = fixture.signed_in_client()

    picker = page.get("/tasks/lead-picker/?lead_q=acme", headers=HTMX)
    form = page.get(f"/tasks/new/?lead={lead['id']}")
    values = {"title": "Book the call", "due_at": "2030-05-04T09:30", "lead": lead["id"]}
    created = page.post("/tasks/new/", {**values, "assignee": _owner_id(fixture)})
    listed = page_text(page.get("/tasks/?tab=upcoming"))

    assert f'value="{lead["id"]}"' in picker.content.decode() and "Ada" in page_text(picker)
    assert "Ada" in page_text(form)
    assert created.status_code == 302 and created["Location"] == "/tasks/"
    with schema_context(fixture.workspace.schema_name):
        task = Task.objects.get()
    assert task.lead_id == lead["id"] and task.assignee_id == _owner_id(fixture)
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == "2030-05-04 09:30"
    assert "Book the call" in listed and "Ada" in listed and "Sat 4 May, 09:30" in listed


def test_a_bad_task_comes_back_with_the_errors_and_nothing_is_written(two_workspaces) -> None:
    alpha, beta = two_workspaces
    beta_lead = post(api(beta), "/api/v1/leads", {"email": "b@beta.example"}).json()["id"]
    post(api(alpha), "/api/v1/leads", {"email": "a@alpha.example"})  # alpha's lead 1
    page = alpha.signed_in_client()

    no_title = page.post("/tasks/new/", {"title": " ", "due_at": "2030-05-04T09:30"})
    bad_date = page.post("/tasks/new/", {"title": "Call", "due_at": "someday"})
    nul = page.post("/tasks/new/", {"title": "Ca\x00ll"})
    nul_search = page.get("/tasks/lead-picker/?lead_q=a%00b")
    other_lead = page.post("/tasks/new/", {"title": "Call", "lead": beta_lead + 1000})

    assert no_title.status_code == 422 and "This field is required" in page_text(no_title)
    assert bad_date.status_code == 422 and "Enter a valid date/time" in page_text(bad_date)
    assert 400 <= nul.status_code < 500 and 400 <= nul_search.status_code < 500
    assert other_lead.status_code == 422 and "No lead with this id" in page_text(other_lead)
    with schema_context(alpha.workspace.schema_name):
        assert Task.objects.count() == 0


def test_another_workspaces_task_is_a_404_and_stays_as_it_was(two_workspaces) -> None:
    alpha, beta = two_workspaces
    task_id = _task(alpha, title="Secret follow-up")
    page = beta.signed_in_client()

    completed = page.post(f"/tasks/{task_id}/complete/")
    assigned = page.post(f"/tasks/{task_id}/assign/", {"assignee": ""})
    listed = page_text(page.get("/tasks/?tab=all"))

    assert completed.status_code == 404 and "Secret" not in page_text(completed)
    assert assigned.status_code == 404
    assert "Secret" not in listed
    assert _task_row(alpha, task_id).done_at is None


def test_a_task_has_its_own_page_and_another_workspace_s_task_is_a_404(two_workspaces) -> None:
    alpha, beta = two_workspaces
    due = timezone.now() - timedelta(hours=1)
    task_id = _task(
        alpha, title="Send the syllabus", notes="The spring one", due_at=due.isoformat()
    )
    owner = alpha.signed_in_client()

    shown = owner.get(f"/tasks/{task_id}/")
    listed = owner.get("/tasks/?tab=all").content.decode()
    done = owner.post(f"/tasks/{task_id}/complete/", {"tab": "all"})
    after = page_text(owner.get(f"/tasks/{task_id}/"))
    from_beta = beta.signed_in_client().get(f"/tasks/{task_id}/")

    assert shown.status_code == 200
    text = page_text(shown)
    assert "Send the syllabus" in text and "The spring one" in text and "Overdue" in text
    assert f'href="/tasks/{task_id}/"' in listed  # the list links each task to its page
    assert done.status_code == 302 and "Done" in after and "Reopen" in after
    assert from_beta.status_code == 404 and "Send the syllabus" not in page_text(from_beta)
    assert _task_row(alpha, task_id).done_at is not None
