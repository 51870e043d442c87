"""A person records a lead's SMS consent and time zone in the lead form and through the API:
an opt-in needs its source, a time zone must be one the machine knows, each refusal is a
clear 422 that writes nothing, and another workspace never reaches the lead."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import Lead
from tests.support.clients import api, patch, post
from tests.support.pages import page_text


def test_the_api_sets_a_lead_s_time_zone_and_refuses_an_unknown_one(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)

    made = post(client, "/api/v1/leads", {"phone": "+12125550123", "time_zone": "Europe/Paris"})
    lead_id = made.json()["id"]
    bad = patch(client, f"/api/v1/leads/{lead_id}", {"time_zone": "Mars/Olympus_Mons"})
    cleared = patch(client, f"/api/v1/leads/{lead_id}", {"time_zone": ""})

    assert made.status_code == 201 and made.json()["time_zone"] == "Europe/Paris"
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "time_zone"
    assert cleared.status_code == 200 and cleared.json()["time_zone"] == ""


def test_the_lead_form_records_sms_consent_with_its_source_and_a_time_zone(
    make_workspace,
) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()
    with schema_context(fixture.workspace.schema_name):
        lead_id = Lead.objects.create(first_name="Ada", phone="+14155552671").pk
    base = {"first_name": "Ada", "phone": "+14155552671", "status": "new", "source": "other"}

    form = page.get(f"/leads/{lead_id}/edit/")
    no_source = page.post(f"/leads/{lead_id}/edit/", {**base, "sms_consent": "opted_in"})
    with schema_context(fixture.workspace.schema_name):
        unchanged = Lead.objects.get(pk=lead_id).sms_consent
    saved = page.post(
        f"/leads/{lead_id}/edit/",
        {
            **base,
            "sms_consent": "opted_in",
            "sms_consent_source": "verbal",
            "time_zone": "America/Chicago",
        },
    )
    renamed = page.post(
        f"/leads/{lead_id}/edit/",
        {**base, "first_name": "Ada L.", "time_zone": "America/Chicago"},
    )

    assert form.status_code == 200
    assert "SMS consent" in page_text(form) and "From the phone number" in page_text(form)
    assert no_source.status_code == 422 and "agreed to texts" in page_text(no_source)
    assert unchanged == "unknown"
    assert saved.status_code == 302 and renamed.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
    assert (lead.sms_consent, lead.sms_consent_source) == ("opted_in", "verbal")
    assert lead.time_zone == "America/Chicago" and lead.sms_consent_at is not None
    assert lead.first_name == "Ada L."  # a form without the consent field leaves it be


def test_another_workspace_cannot_change_a_lead_s_consent_or_zone(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        lead_id = Lead.objects.create(first_name="Ada", phone="+14155552671").pk

    by_api = patch(api(beta), f"/api/v1/leads/{lead_id}", {"time_zone": "Europe/Paris"})
    by_form = beta.signed_in_client().post(
        f"/leads/{lead_id}/edit/",
        {"phone": "+14155552671", "status": "new", "source": "other", "sms_consent": "opted_out"},
    )

    assert by_api.status_code == 404 and by_form.status_code == 404
    with schema_context(alpha.workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
    assert (lead.sms_consent, lead.time_zone) == ("unknown", "")
