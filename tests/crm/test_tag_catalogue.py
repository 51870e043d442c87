"""The tag catalogue the lead page suggests from: every path that gives leads tags (the API,
bulk actions, CSV import) remembers them, and a tag no lead has any more is forgotten."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import LeadTag
from tests.support.clients import api, patch, post
from tests.support.leads import upload


def _catalogue(fixture) -> list[str]:
    with schema_context(fixture.workspace.schema_name):
        return list(LeadTag.objects.values_list("name", flat=True))


def test_every_path_that_tags_leads_fills_the_catalogue(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    lead = post(client, "/api/v1/leads", {"email": "a@x.example", "tags": ["VIP"]}).json()
    patch(client, f"/api/v1/leads/{lead['id']}", {"tags": ["vip", "webinar"]})
    post(client, "/api/v1/leads/bulk", {"action": "tag", "ids": [lead["id"]], "value": ["podcast"]})
    upload(client, "email,tags\ngrace@x.example,navy; cobol\n")

    assert _catalogue(fixture) == ["cobol", "navy", "podcast", "vip", "webinar"]


def test_a_tag_no_lead_has_any_more_is_forgotten(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    first = post(client, "/api/v1/leads", {"email": "a@x.example", "tags": ["vip", "old"]}).json()
    post(client, "/api/v1/leads", {"email": "b@x.example", "tags": ["vip"]})

    patch(client, f"/api/v1/leads/{first['id']}", {"tags": ["vip"]})
    after_patch = _catalogue(fixture)
    post(client, "/api/v1/leads/bulk", {"action": "untag", "ids": [first["id"]], "value": ["vip"]})
    still_used = _catalogue(fixture)
    client.delete(f"/api/v1/leads/{first['id']}")

    assert after_patch == ["vip"]
    assert still_used == ["vip"]  # the other lead keeps it
    assert _catalogue(fixture) == ["vip"]
