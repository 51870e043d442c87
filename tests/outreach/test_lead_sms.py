"""POST /leads/{id}/sms: a one-off text is queued once, for a lead that may be texted, and
counted against the month's SMS segments; every refusal says why, in the fixed shape, and
writes nothing; another workspace's token never reaches the lead."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from mail.models import PendingSend
from tenants.limits import sms_segments_this_month
from tests.support.clients import add_member, api, bearer_client, post
from tests.support.limits import make_read_only, refusal, set_limits
from tests.support.sms import add_textable_leads, connect_twilio


def sms_count(workspace) -> int:
    with schema_context(workspace.schema_name):
        return Message.objects.filter(channel="sms").count()


def test_a_one_off_text_is_queued_with_its_merge_fields_segments_and_event(
    make_workspace, twilio
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)

    queued = post(
        api(fixture), f"/api/v1/leads/{lead_id}/sms", {"body": "Hi {{ lead.first_name }} 👋"}
    )

    assert queued.status_code == 202, queued.content
    timeline = api(fixture).get(f"/api/v1/leads/{lead_id}/timeline").json()
    assert {entry["summary"] for entry in timeline[:2]} == {
        "Outbound SMS: Hi Name0 👋",
        "Text queued",
    }
    body = queued.json()
    assert (body["channel"], body["status"], body["body"]) == ("sms", "queued", "Hi Name0 👋")
    with schema_context(fixture.workspace.schema_name):
        message = Message.objects.get(pk=body["id"])
        assert (message.to_phone, message.segments) == ("+14155552000", 1)
        assert sms_segments_this_month() == 1
        assert PendingSend.objects.filter(campaign_id=PendingSend.DIRECT_SMS).exists()
        assert EventLog.objects.filter(verb="sms_queued", object_id=lead_id).count() == 1


def test_who_cannot_be_texted_is_refused_with_the_reason_and_nothing_written(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    client = api(fixture)
    [lead_id] = add_textable_leads(fixture.workspace, 1)

    no_account = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "Hello"})
    connect_twilio(fixture.workspace, twilio)
    [unknown] = add_textable_leads(fixture.workspace, 1, start=3000, sms_consent="unknown")
    [opted_out] = add_textable_leads(fixture.workspace, 1, start=3001, sms_consent="opted_out")
    [undeliverable] = add_textable_leads(
        fixture.workspace, 1, start=3002, sms_undeliverable_at=timezone.now()
    )
    with schema_context(fixture.workspace.schema_name):
        no_phone = Lead.objects.create(
            email="nophone@example.com",
            sms_consent="opted_in",
            sms_consent_source="api",
            sms_consent_at=timezone.now(),
        ).pk
    answers = {
        name: post(client, f"/api/v1/leads/{lead}/sms", {"body": "Hello"})
        for name, lead in [
            ("unknown", unknown),
            ("opted_out", opted_out),
            ("undeliverable", undeliverable),
            ("no_phone", no_phone),
        ]
    }
    empty = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "   "})
    too_long = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "x" * 1601})
    broken = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "Hi {{ lead.first_name"})
    extra = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "Hi", "to": "+1"})

    assert no_account.status_code == 409
    assert no_account.json()["error"]["code"] == "sms_not_connected"
    assert "Settings → SMS" in no_account.json()["error"]["message"]
    for name, answer in answers.items():
        assert answer.status_code == 409, (name, answer.content)
        assert answer.json()["error"]["code"] == "recipient_not_textable"
    assert "agreed to texts" in answers["unknown"].json()["error"]["message"]
    assert "STOP" in answers["opted_out"].json()["error"]["message"]
    assert "no phone number" in answers["no_phone"].json()["error"]["message"]
    for answer in (empty, too_long, broken, extra):
        assert answer.status_code == 422, answer.content
        assert set(answer.json()["error"]) == {"code", "message", "details"}
    assert sms_count(fixture.workspace) == 0
    with schema_context(fixture.workspace.schema_name):
        assert sms_segments_this_month() == 0


def test_a_lead_who_texted_in_today_may_get_an_answer_without_recorded_consent(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [recent, earlier] = add_textable_leads(fixture.workspace, 2, sms_consent="unknown")
    with schema_context(fixture.workspace.schema_name):
        for lead_id, when in [(recent, timedelta(hours=2)), (earlier, timedelta(days=2))]:
            Message.objects.create(
                lead_id=lead_id,
                channel="sms",
                direction="inbound",
                status="received",
                body="When is the next cohort?",
                occurred_at=timezone.now() - when,
            )

    answer = post(api(fixture), f"/api/v1/leads/{recent}/sms", {"body": "Next Monday!"})
    late = post(api(fixture), f"/api/v1/leads/{earlier}/sms", {"body": "Next Monday!"})

    assert answer.status_code == 202, answer.content
    assert late.status_code == 409


def test_the_month_s_sms_segments_and_a_read_only_workspace_stop_one_off_texts(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    set_limits(fixture.workspace, monthly_sms_segment_limit=2)
    client = api(fixture)

    fits = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "x" * 200})  # 2 segments
    over = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "One more"})
    make_read_only(fixture.workspace)
    read_only = post(client, f"/api/v1/leads/{lead_id}/sms", {"body": "One more"})

    assert fits.status_code == 202
    assert refusal(over)["code"] == "plan_limit_reached"
    assert "SMS segments a month" in refusal(over)["message"]
    assert read_only.status_code == 402
    assert sms_count(fixture.workspace) == 1


def test_another_workspace_s_token_and_a_viewer_cannot_text_the_lead(
    make_workspace, twilio
) -> None:
    alpha, beta = make_workspace("alpha"), make_workspace("beta")
    connect_twilio(alpha.workspace, twilio)
    connect_twilio(beta.workspace, twilio)
    [lead_id] = add_textable_leads(alpha.workspace, 1)
    viewer = add_member(alpha.workspace, "viewer")

    beta_api = api(beta)
    from_beta = post(beta_api, f"/api/v1/leads/{lead_id}/sms", {"body": "Hello"})
    beta_token_on_alpha = Client(
        HTTP_HOST=alpha.workspace.primary_host,
        HTTP_AUTHORIZATION=beta_api.defaults["HTTP_AUTHORIZATION"],
    )
    stolen = post(beta_token_on_alpha, f"/api/v1/leads/{lead_id}/sms", {"body": "Hello"})
    as_viewer = post(
        bearer_client(alpha.workspace, viewer.email), f"/api/v1/leads/{lead_id}/sms", {"body": "Hi"}
    )

    assert from_beta.status_code == 404
    assert stolen.status_code == 401
    assert as_viewer.status_code == 403
    assert sms_count(alpha.workspace) == 0
    assert sms_count(beta.workspace) == 0
