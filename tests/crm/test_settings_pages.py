"""Settings pages for custom fields and pipeline stages, through the HTML test client: the
same catalog services as the API, admins and the owner only, nothing of another workspace."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, EventLog, Lead, PipelineStage
from tests.support.clients import add_member, sign_in_client
from tests.support.pages import page_text


def stages_of(workspace) -> list[str]:
    with schema_context(workspace.schema_name):
        return list(PipelineStage.objects.order_by("order", "id").values_list("name", flat=True))


def stage_id(workspace, name: str) -> int:
    with schema_context(workspace.schema_name):
        return PipelineStage.objects.get(name=name).pk


def fresh_pipeline(workspace, names: list[str]) -> None:
    with schema_context(workspace.schema_name):
        PipelineStage.objects.all().delete()
        for order, name in enumerate(names):
            PipelineStage.objects.create(name=name, order=order)


def test_custom_fields_are_added_listed_edited_and_deleted(two_workspaces):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    added = client.post(
        "/settings/fields/",
        {"label": "Cohort", "key": "cohort", "field_type": "select", "options": "Spring\nFall\n"},
    )
    assert added.status_code == 302
    assert "Cohort Spring, Fall cohort Choice" in page_text(client.get("/settings/fields/"))
    with schema_context(alpha.workspace.schema_name):
        field = CustomFieldDefinition.objects.get(key="cohort")
        Lead.objects.create(email="a@x.example", custom_fields={"cohort": "Spring"})
    assert field.options == ["Spring", "Fall"]

    edited = client.post(
        f"/settings/fields/{field.pk}/", {"label": "Intake", "options": "Spring\nFall\nWinter"}
    )
    assert edited.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.options, field.key) == (
        "Intake",
        ["Spring", "Fall", "Winter"],
        "cohort",
    )

    confirm = client.get(f"/settings/fields/{field.pk}/delete/")
    assert "1 lead hold a value for it" in page_text(confirm)
    assert client.post(f"/settings/fields/{field.pk}/delete/").status_code == 302
    with schema_context(alpha.workspace.schema_name):
        assert not CustomFieldDefinition.objects.exists()
        assert EventLog.objects.filter(object_type="customfielddefinition").count() == 3


def test_a_bad_custom_field_comes_back_with_the_error_beside_it(two_workspaces):
    alpha, _ = two_workspaces
    client = alpha.signed_in_client()

    response = client.post(
        "/settings/fields/", {"label": "Budget", "key": "Budget!", "field_type": "select"}
    )

    assert response.status_code == 422
    text = page_text(response)
    assert "Start with a letter; use lower-case letters, digits and _." in text
    assert "A choice field needs a list of text options." in text
    with schema_context(alpha.workspace.schema_name):
        assert not CustomFieldDefinition.objects.exists()


def test_stages_are_added_renamed_and_reordered_with_the_buttons(two_workspaces):
    alpha, _ = two_workspaces
    fresh_pipeline(alpha.workspace, ["Interested", "Call booked"])
    client = alpha.signed_in_client()

    assert client.post("/settings/stages/", {"name": "Enrolled"}).status_code == 302
    taken = client.post("/settings/stages/", {"name": "enrolled"})
    renamed = client.post(
        f"/settings/stages/{stage_id(alpha.workspace, 'Call booked')}/rename/",
        {"name": "Discovery call"},
    )
    moved = client.post(
        f"/settings/stages/{stage_id(alpha.workspace, 'Enrolled')}/move/", {"direction": "up"}
    )

    assert taken.status_code == 422
    assert "A stage with this name already exists." in page_text(taken)
    assert renamed.status_code == 302 and moved.status_code == 302
    assert stages_of(alpha.workspace) == ["Interested", "Enrolled", "Discovery call"]
    text = page_text(client.get("/settings/stages/"))
    assert text.index("Interested") < text.index("Enrolled") < text.index("Discovery call")


def test_a_rename_to_a_taken_name_is_shown_beside_that_stage(two_workspaces):
    alpha, _ = two_workspaces
    fresh_pipeline(alpha.workspace, ["Interested", "Enrolled"])

    response = alpha.signed_in_client().post(
        f"/settings/stages/{stage_id(alpha.workspace, 'Enrolled')}/rename/",
        {"name": "INTERESTED"},
    )

    assert response.status_code == 409
    assert "A stage with this name already exists." in page_text(response)
    assert stages_of(alpha.workspace) == ["Interested", "Enrolled"]


def test_the_drag_and_drop_order_is_saved_whole(two_workspaces):
    alpha, _ = two_workspaces
    fresh_pipeline(alpha.workspace, ["A", "B", "C"])
    client = alpha.signed_in_client()
    ids = [stage_id(alpha.workspace, name) for name in ("C", "A", "B")]

    saved = client.post("/settings/stages/reorder/", {"ids": ids})
    partial = client.post("/settings/stages/reorder/", {"ids": ids[:2]})

    assert saved.status_code == 204
    assert partial.status_code == 422
    assert stages_of(alpha.workspace) == ["C", "A", "B"]


def test_deleting_a_stage_moves_its_leads_where_the_admin_chose(two_workspaces):
    alpha, _ = two_workspaces
    fresh_pipeline(alpha.workspace, ["Interested", "Call booked"])
    with schema_context(alpha.workspace.schema_name):
        interested = PipelineStage.objects.get(name="Interested")
        lead = Lead.objects.create(email="a@x.example", stage=interested)
    client = alpha.signed_in_client()
    target = stage_id(alpha.workspace, "Call booked")

    confirm = client.get(f"/settings/stages/{interested.pk}/delete/")
    assert "1 lead is in this stage. No lead is deleted: choose where they go." in page_text(
        confirm
    )
    done = client.post(f"/settings/stages/{interested.pk}/delete/", {"move_leads_to": target})

    assert done.status_code == 302
    assert stages_of(alpha.workspace) == ["Call booked"]
    with schema_context(alpha.workspace.schema_name):
        lead.refresh_from_db()
        assert lead.stage_id == target
        assert EventLog.objects.filter(object_type="lead", object_id=lead.pk).exists()


def test_a_member_is_refused_and_another_workspace_gets_404(two_workspaces):
    alpha, beta = two_workspaces
    fresh_pipeline(alpha.workspace, ["Interested", "Enrolled"])
    with schema_context(alpha.workspace.schema_name):
        field = CustomFieldDefinition.objects.create(
            key="budget", label="Budget", field_type="number"
        )
    member = sign_in_client(alpha.workspace, add_member(alpha.workspace, "member").email)
    stage = stage_id(alpha.workspace, "Interested")
    fresh_pipeline(beta.workspace, [])
    intruder = beta.signed_in_client()

    assert member.get("/settings/stages/").status_code == 403
    assert member.post(f"/settings/stages/{stage}/delete/").status_code == 403
    for response in (
        intruder.get(f"/settings/fields/{field.pk}/"),
        intruder.post(f"/settings/fields/{field.pk}/delete/"),
        intruder.post(f"/settings/stages/{stage}/delete/"),
        intruder.post(f"/settings/stages/{stage}/rename/", {"name": "Mine"}),
        intruder.post(f"/settings/stages/{stage}/move/", {"direction": "down"}),
    ):
        assert response.status_code == 404
        assert "Budget" not in page_text(response) and "Interested" not in page_text(response)
    assert stages_of(alpha.workspace) == ["Interested", "Enrolled"]
    with schema_context(alpha.workspace.schema_name):
        assert CustomFieldDefinition.objects.filter(pk=field.pk).exists()
