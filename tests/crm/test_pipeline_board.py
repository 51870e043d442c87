"""The pipeline board: a column per stage with exact counts, cards, "Load more" by keyset,
filters, and moves (drag or "Move to") through the lead service that records the event;
bad input and another workspace's ids change nothing."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, PipelineStage
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.pages import page_text
from tests.support.query_counter import queries_run

JSON = {"Accept": "application/json"}


def _stages(fixture) -> dict[str, int]:
    with schema_context(fixture.workspace.schema_name):
        return {stage.name: stage.pk for stage in PipelineStage.objects.all()}


def _lead(fixture, **fields) -> int:
    response = post(api(fixture), "/api/v1/leads", fields)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _stage_of(fixture, lead_id: int) -> int | None:
    with schema_context(fixture.workspace.schema_name):
        return Lead.objects.get(pk=lead_id).stage_id


def test_signed_out_visitors_are_sent_to_sign_in(make_workspace) -> None:
    response = make_workspace().client().get("/pipeline/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_board_has_a_column_per_stage_in_order_with_counts_and_cards(make_workspace) -> None:
    fixture = make_workspace()
    stages = _stages(fixture)
    _lead(fixture, first_name="Ada", email="ada@x.example", company="Acme", tags=["vip"],
          stage=stages["Qualified"])  # fmt: skip
    _lead(fixture, first_name="Alan", email="alan@x.example", stage=stages["Qualified"])
    _lead(fixture, first_name="Grace", email="grace@x.example")  # no stage

    response = fixture.signed_in_client().get("/pipeline/")
    text = page_text(response)
    html = response.content.decode()

    assert response.status_code == 200
    order = [
        text.index(f"{name} ") for name in ("No stage", "New", "Contacted", "Qualified", "Won")
    ]
    assert order == sorted(order)
    assert f'data-count="{stages["Qualified"]}" data-value="2"' in html
    assert 'data-count="none" data-value="1"' in html
    assert f'data-count="{stages["Won"]}" data-value="0"' in html
    assert "Ada" in text and "Acme" in text and "vip" in text and "Grace" in text
    assert "Move Ada to" in text  # the keyboard's "Move to" on each card
    assert html.count("csrfmiddlewaretoken") <= 2  # the board's one form, and sign out


def test_without_unstaged_leads_there_is_no_no_stage_column(make_workspace) -> None:
    fixture = make_workspace()
    _lead(fixture, email="a@x.example", stage=_stages(fixture)["New"])

    html = fixture.signed_in_client().get("/pipeline/").content.decode()

    assert 'data-count="none"' not in html


def test_a_column_shows_its_first_cards_and_loads_more_by_cursor(make_workspace) -> None:
    fixture = make_workspace()
    stage = _stages(fixture)["Contacted"]
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.bulk_create(
            Lead(first_name=f"Person{i:02}", email=f"p{i}@x.example", stage_id=stage)
            for i in range(27)
        )
    page = fixture.signed_in_client()

    board = page.get("/pipeline/").content.decode()
    more_url = "/pipeline/column/" + board.split('hx-get="/pipeline/column/')[1].split('"')[0]
    more_url = more_url.replace("&amp;", "&")
    more = page.get(more_url, HTTP_HX_REQUEST="true").content.decode()

    assert board.count('class="board-card"') == 20 and 'data-value="27"' in board
    assert more.count('class="board-card"') == 7 and "Load more" not in more
    assert f'hx-swap-oob="beforeend:#cards-{stage}"' in more


def test_the_board_costs_the_same_statements_at_any_size(make_workspace) -> None:
    fixture = make_workspace()
    stages = list(_stages(fixture).values())
    page = fixture.signed_in_client()

    def statements() -> int:
        with queries_run() as run:
            page.get("/pipeline/")
        return len(run)

    with schema_context(fixture.workspace.schema_name):
        Lead.objects.bulk_create(
            Lead(email=f"a{i}@x.example", stage_id=stages[i % len(stages)]) for i in range(30)
        )
    few = statements()
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.bulk_create(
            Lead(email=f"b{i}@x.example", stage_id=stages[i % len(stages)]) for i in range(300)
        )

    assert statements() == few


def test_filters_by_owner_and_tag_count_only_the_matching_leads(make_workspace) -> None:
    fixture = make_workspace()
    stage = _stages(fixture)["New"]
    member = add_member(fixture.workspace, "member")
    _lead(fixture, first_name="Mine", email="m@x.example", owner=member.pk, tags=["vip"],
          stage=stage)  # fmt: skip
    _lead(fixture, first_name="Theirs", email="t@x.example", tags=["vip"], stage=stage)
    _lead(fixture, first_name="Plain", email="p@x.example", stage=stage)
    page = fixture.signed_in_client()

    by_owner = page.get(f"/pipeline/?owner={member.pk}")
    by_tag = page.get("/pipeline/?tag=VIP")
    bad = page.get("/pipeline/?owner=nobody")

    assert f'data-count="{stage}" data-value="1"' in by_owner.content.decode()
    assert "Mine" in page_text(by_owner) and "Theirs" not in page_text(by_owner)
    assert f'data-count="{stage}" data-value="2"' in by_tag.content.decode()
    assert "Plain" not in page_text(by_tag)
    assert bad.status_code == 422 and "Owner:" in page_text(bad)


def test_a_move_from_the_board_goes_through_the_lead_service_and_records_the_event(
    make_workspace,
) -> None:
    fixture = make_workspace()
    stages = _stages(fixture)
    lead_id = _lead(fixture, first_name="Ada", email="ada@x.example", stage=stages["New"])
    page = fixture.signed_in_client()

    moved = page.post("/pipeline/move/", {"lead": lead_id, "stage": stages["Won"]}, headers=JSON)
    with schema_context(fixture.workspace.schema_name):
        event = EventLog.objects.filter(object_type="lead", object_id=lead_id).first()
    timeline = page.get(f"/api/v1/leads/{lead_id}/timeline").json()

    assert moved.status_code == 200
    assert moved.json() == {
        "lead": lead_id, "stage": stages["Won"], "stage_name": "Won",
        "message": "Ada moved to Won.",
    }  # fmt: skip
    assert _stage_of(fixture, lead_id) == stages["Won"]
    assert event is not None and event.verb == "updated"
    assert event.changes == {"stage": {"before": stages["New"], "after": stages["Won"]}}
    assert any(entry["data"].get("changes", {}).get("stage") for entry in timeline)


def test_the_move_to_form_without_javascript_moves_and_says_so(make_workspace) -> None:
    fixture = make_workspace()
    stages = _stages(fixture)
    lead_id = _lead(fixture, first_name="Ada", email="ada@x.example", stage=stages["New"])
    page = fixture.signed_in_client()

    # The board is one form: the Move button pressed names the lead, its card's select the
    # stage; the other cards' selects come along and are ignored.
    board_form = {"lead": lead_id, f"stage_{lead_id}": stages["Proposal"], "stage_999": "1",
                  "tag": "vip"}  # fmt: skip
    response = page.post("/pipeline/move/", board_form)
    board = page.get("/pipeline/")

    assert response.status_code == 302 and response["Location"] == "/pipeline/?tag=vip"
    assert "Ada moved to Proposal." in page_text(board)
    assert f'data-count="{stages["Proposal"]}" data-value="1"' in board.content.decode()
    moved_out = page.post("/pipeline/move/", {"lead": lead_id, "stage": "none"}, headers=JSON)
    assert moved_out.status_code == 200 and _stage_of(fixture, lead_id) is None


def test_a_refused_move_is_a_4xx_that_says_why_and_changes_nothing(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_stages, beta_stages = _stages(alpha), _stages(beta)
    # A stage id that exists only in beta.
    with schema_context(beta.workspace.schema_name):
        beta_only = PipelineStage.objects.create(name="Beta only", order=99).pk
    lead_id = _lead(alpha, email="ada@x.example", stage=alpha_stages["New"])
    page = alpha.signed_in_client()

    unknown = page.post("/pipeline/move/", {"lead": lead_id, "stage": 999_999}, headers=JSON)
    other_workspace_stage = page.post("/pipeline/move/", {"lead": lead_id, "stage": beta_only},
                                      headers=JSON)  # fmt: skip
    not_a_stage = page.post("/pipeline/move/", {"lead": lead_id, "stage": "won"}, headers=JSON)
    no_lead = page.post(
        "/pipeline/move/", {"lead": "x", "stage": alpha_stages["Won"]}, headers=JSON
    )
    gone = page.post(
        "/pipeline/move/", {"lead": 424242, "stage": alpha_stages["Won"]}, headers=JSON
    )
    as_page = page.post("/pipeline/move/", {"lead": lead_id, "stage": 999_999})

    assert unknown.status_code == 422
    assert "No pipeline stage with this id." in unknown.json()["error"]["message"]
    assert other_workspace_stage.status_code == 422
    assert not_a_stage.status_code == 422 and no_lead.status_code == 422
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "No lead with this id."
    assert as_page.status_code == 422 and "No pipeline stage with this id" in page_text(as_page)
    assert _stage_of(alpha, lead_id) == alpha_stages["New"]
    with schema_context(alpha.workspace.schema_name):
        assert EventLog.objects.filter(object_id=lead_id, verb="updated").count() == 0
    assert beta_stages  # beta's own pipeline is untouched by alpha's moves


def test_a_member_moves_leads_too(make_workspace) -> None:
    fixture = make_workspace()
    stages = _stages(fixture)
    member = add_member(fixture.workspace, "member")
    lead_id = _lead(fixture, email="ada@x.example", stage=stages["New"])
    page = sign_in_client(fixture.workspace, member.email)

    response = page.post("/pipeline/move/", {"lead": lead_id, "stage": stages["Won"]}, headers=JSON)

    assert response.status_code == 200 and _stage_of(fixture, lead_id) == stages["Won"]


def test_another_workspaces_lead_cannot_be_moved_or_seen(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_stages, beta_stages = _stages(alpha), _stages(beta)
    lead_id = _lead(alpha, first_name="Secret", email="s@alpha.example", stage=alpha_stages["New"])
    page = beta.signed_in_client()

    moved = page.post("/pipeline/move/", {"lead": lead_id, "stage": beta_stages["Won"]})
    board = page.get("/pipeline/")
    more = page.get(f"/pipeline/column/?stage={alpha_stages['New']}")

    assert moved.status_code == 404 and "Secret" not in page_text(moved)
    assert "Secret" not in page_text(board)
    assert "Secret" not in page_text(more)
    assert _stage_of(alpha, lead_id) == alpha_stages["New"]
    with schema_context(alpha.workspace.schema_name):
        assert EventLog.objects.filter(object_id=lead_id, verb="updated").count() == 0


def test_a_bad_cursor_or_column_is_a_4xx(make_workspace) -> None:
    page = make_workspace().signed_in_client()

    assert page.get("/pipeline/column/?stage=abc").status_code == 422
    assert page.get("/pipeline/column/?stage=none&cursor=!!").status_code == 400
