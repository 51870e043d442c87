"""SMS consent and phone numbers through /api/v1/leads: E.164 on every write, consent set
with its source, filtered, evented, and another workspace's lead untouched."""

from __future__ import annotations

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead
from tests.support.clients import api, patch, post


def _details(response) -> list[dict]:
    return response.json()["error"]["details"]


def test_phone_numbers_are_stored_in_e164_on_create_and_patch(make_workspace) -> None:
    client = api(make_workspace())

    national = post(client, "/api/v1/leads", {"phone": "(202) 555-0143"})
    lead_id = national.json()["id"]
    changed = patch(client, f"/api/v1/leads/{lead_id}", {"phone": "+44 20 7946 0000"})

    assert national.status_code == 201
    assert national.json()["phone"] == "+12025550143"  # no country code: the US default
    assert changed.json()["phone"] == "+442079460000"


@override_settings(CRM_DEFAULT_PHONE_REGION="GB")
def test_a_number_without_country_code_is_read_in_the_default_region(make_workspace) -> None:
    created = post(api(make_workspace()), "/api/v1/leads", {"phone": "020 7946 0000"})

    assert created.json()["phone"] == "+442079460000"


def test_a_number_that_does_not_parse_is_422_naming_the_phone(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    kept = post(client, "/api/v1/leads", {"email": "a@x.example", "phone": "+1 202 555 0100"})

    for bad in ("call me", "+1", "12", "+1 555 0100"):  # the last parses but no plan has it
        refused = post(client, "/api/v1/leads", {"email": "b@x.example", "phone": bad})
        changed = patch(client, f"/api/v1/leads/{kept.json()['id']}", {"phone": bad})
        for response in (refused, changed):
            assert response.status_code == 422, bad
            [detail] = _details(response)
            assert (detail["field"], detail["code"]) == ("phone", "invalid_phone")
            assert "country code" in detail["message"]
    with schema_context(fixture.workspace.schema_name):
        assert list(Lead.objects.values_list("phone", flat=True)) == ["+12025550100"]


def test_opting_in_needs_a_source_and_stamps_the_time(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)

    no_source = post(client, "/api/v1/leads", {"phone": "+12025550100", "sms_consent": "opted_in"})
    created = post(
        client,
        "/api/v1/leads",
        {"phone": "+12025550100", "sms_consent": "opted_in", "sms_consent_source": "web_form"},
    )
    unknown_source = post(
        client,
        "/api/v1/leads",
        {"phone": "+12025550101", "sms_consent": "opted_in", "sms_consent_source": "psychic"},
    )

    assert no_source.status_code == 422
    assert [(d["field"], d["code"]) for d in _details(no_source)] == [
        ("sms_consent_source", "source_required")
    ]
    assert [d["field"] for d in _details(unknown_source)] == ["sms_consent_source"]
    body = created.json()
    assert (body["sms_consent"], body["sms_consent_source"]) == ("opted_in", "web_form")
    assert body["sms_consent_at"] is not None and body["sms_opted_out_at"] is None
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 1


def test_a_new_lead_starts_unknown_and_email_consent_is_separate(make_workspace) -> None:
    body = post(api(make_workspace()), "/api/v1/leads", {"email": "a@x.example", "consent": True})

    assert (body.json()["consent"], body.json()["sms_consent"]) == (True, "unknown")
    assert body.json()["sms_consent_source"] == ""
    assert body.json()["sms_consent_at"] is None


def test_patch_opts_out_and_back_in_with_an_event_each_time(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    lead_id = post(client, "/api/v1/leads", {"phone": "+12025550100"}).json()["id"]
    path = f"/api/v1/leads/{lead_id}"

    opted_in = patch(client, path, {"sms_consent": "opted_in", "sms_consent_source": "verbal"})
    opted_out = patch(client, path, {"sms_consent": "opted_out"})
    back_in = patch(client, path, {"sms_consent": "opted_in", "sms_consent_source": "written"})

    assert opted_out.json()["sms_consent"] == "opted_out"
    assert opted_out.json()["sms_opted_out_at"] is not None
    assert opted_out.json()["sms_consent_source"] == "verbal"  # the record of how they agreed
    assert back_in.json()["sms_consent_at"] > opted_in.json()["sms_consent_at"]
    with schema_context(fixture.workspace.schema_name):
        updates = list(
            EventLog.objects.filter(object_id=lead_id, verb="updated")
            .order_by("id")
            .values_list("changes", flat=True)
        )
    assert [change["sms_consent"] for change in updates] == [
        {"before": "unknown", "after": "opted_in"},
        {"before": "opted_in", "after": "opted_out"},
        {"before": "opted_out", "after": "opted_in"},
    ]
    assert updates[1]["sms_opted_out_at"]["before"] is None
    assert updates[2]["sms_consent_source"] == {"before": "verbal", "after": "written"}


def test_consent_cannot_be_forgotten_nor_given_a_source_without_opting_in(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    lead_id = post(client, "/api/v1/leads", {"phone": "+12025550100"}).json()["id"]
    path = f"/api/v1/leads/{lead_id}"
    patch(client, path, {"sms_consent": "opted_out"})

    forgotten = patch(client, path, {"sms_consent": "unknown"})
    source_alone = patch(client, path, {"sms_consent_source": "api"})
    nonsense = patch(client, path, {"sms_consent": "maybe"})
    null = patch(client, path, {"sms_consent": None})

    assert [d["code"] for d in _details(forgotten)] == ["consent_not_forgotten"]
    assert [d["code"] for d in _details(source_alone)] == ["source_without_opt_in"]
    assert [d["code"] for d in _details(nonsense)] == ["invalid_choice"]
    assert null.status_code == 422
    assert client.get(path).json()["sms_consent"] == "opted_out"


def test_the_list_filters_by_sms_consent(make_workspace) -> None:
    client = api(make_workspace())
    opted_in = post(
        client,
        "/api/v1/leads",
        {"phone": "+12025550100", "sms_consent": "opted_in", "sms_consent_source": "api"},
    ).json()["id"]
    post(client, "/api/v1/leads", {"phone": "+12025550101"})

    listed = client.get("/api/v1/leads?sms_consent=opted_in").json()["items"]
    unknown = client.get("/api/v1/leads?sms_consent=unknown").json()["items"]

    assert [lead["id"] for lead in listed] == [opted_in]
    assert [lead["phone"] for lead in unknown] == ["+12025550101"]
    assert listed[0]["sms_consent_source"] == "api"


def test_another_workspace_cannot_change_a_leads_sms_consent(two_workspaces) -> None:
    alpha, beta = two_workspaces
    alpha_api, beta_api = api(alpha), api(beta)
    lead_id = post(alpha_api, "/api/v1/leads", {"phone": "+12025550100"}).json()["id"]
    change = {"sms_consent": "opted_in", "sms_consent_source": "api"}

    from_beta = patch(beta_api, f"/api/v1/leads/{lead_id}", change)
    stolen = Client(
        HTTP_HOST=beta.workspace.primary_host,
        HTTP_AUTHORIZATION=alpha_api.defaults["HTTP_AUTHORIZATION"],
    )
    with_alpha_token = stolen.patch(
        f"/api/v1/leads/{lead_id}", change, content_type="application/json"
    )

    assert from_beta.status_code == 404
    assert with_alpha_token.status_code == 401
    assert alpha_api.get(f"/api/v1/leads/{lead_id}").json()["sms_consent"] == "unknown"
    assert beta_api.get("/api/v1/leads?sms_consent=opted_in").json()["items"] == []


def test_the_openapi_documents_the_sms_fields(make_workspace) -> None:
    spec = api(make_workspace()).get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]

    for name in ("sms_consent", "sms_consent_source", "sms_consent_at", "sms_opted_out_at"):
        assert "description" in schemas["LeadOut"]["properties"][name], name
    for schema in ("LeadIn", "LeadPatch"):
        assert {"sms_consent", "sms_consent_source"} <= set(schemas[schema]["properties"])
    list_params = {p["name"] for p in spec["paths"]["/api/v1/leads"]["get"]["parameters"]}
    assert "sms_consent" in list_params


def test_the_lead_form_shows_a_bad_number_on_its_field_and_stores_a_good_one(
    make_workspace,
) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    bad = page.post("/leads/new/", {"phone": "call me", "status": "new", "source": "api"})
    good = page.post("/leads/new/", {"phone": "202-555-0143", "status": "new", "source": "api"})

    assert bad.status_code == 422
    assert "is not a phone number" in bad.content.decode()
    assert good.status_code == 302
    with schema_context(fixture.workspace.schema_name):
        assert list(Lead.objects.values_list("phone", flat=True)) == ["+12025550143"]
