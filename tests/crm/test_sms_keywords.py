"""crm.services.sms_consent.apply_inbound_keyword: what a lead's text does to their SMS
consent, in their workspace only."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead
from crm.selectors.sms_audience import textable_leads
from crm.services.leads import create_lead
from crm.services.sms_consent import InboundKeyword, apply_inbound_keyword
from tests.support.pages import page_text

NUMBER = "+12025550100"
OPTED_IN: dict[str, Any] = {"sms_consent": "opted_in", "sms_consent_source": "web_form"}


def _two_leads_with_the_number() -> list[int]:
    return [
        create_lead(actor=None, email="a@x.example", phone=NUMBER, **OPTED_IN).pk,
        create_lead(actor=None, email="b@x.example", phone="(202) 555-0100").pk,
        create_lead(actor=None, email="c@x.example", phone="+12025550199", **OPTED_IN).pk,
    ][:2]


@pytest.mark.parametrize(
    "body",
    ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel!", "END", "quit\n", "¡STOP!"],
)
def test_an_opt_out_word_opts_every_lead_with_the_number_out(make_workspace, body: str) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        ids = _two_leads_with_the_number()

        outcome = apply_inbound_keyword(phone=NUMBER, body=body)

        assert outcome.keyword == InboundKeyword.OPT_OUT
        assert sorted(outcome.lead_ids) == sorted(ids)
        assert "Reply START" in outcome.reply
        leads = Lead.objects.filter(pk__in=ids)
        assert {lead.sms_consent for lead in leads} == {"opted_out"}
        assert all(lead.sms_opted_out_at is not None for lead in leads)
        assert list(textable_leads().values_list("email", flat=True)) == ["c@x.example"]
        events = EventLog.objects.filter(verb="sms_opted_out").order_by("object_id")
        assert [event.object_id for event in events] == sorted(ids)
        assert events[0].changes["sms_consent"] == {"before": "opted_in", "after": "opted_out"}
        assert events[0].changes["via"] == f"text {outcome.word}"


@pytest.mark.parametrize("body", ["stop texting me", "S T O P", "STOP STOP", "stopp", "", "Yes"])
def test_anything_but_the_whole_message_being_a_keyword_changes_nothing(
    make_workspace, body: str
) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        _two_leads_with_the_number()

        outcome = apply_inbound_keyword(phone=NUMBER, body=body)

        assert (outcome.keyword, outcome.lead_ids, outcome.reply) == (InboundKeyword.NONE, [], "")
        assert not Lead.objects.filter(sms_consent="opted_out").exists()
        assert not EventLog.objects.filter(verb__startswith="sms_").exists()


@pytest.mark.parametrize("body", ["START", "unstop", "Start!"])
def test_start_opts_back_in_with_the_keyword_as_source(make_workspace, body: str) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        ids = _two_leads_with_the_number()
        apply_inbound_keyword(phone=NUMBER, body="STOP")

        outcome = apply_inbound_keyword(phone=NUMBER, body=body)
        repeated = apply_inbound_keyword(phone=NUMBER, body=body)

        assert outcome.keyword == InboundKeyword.OPT_IN
        assert sorted(outcome.lead_ids) == sorted(ids)
        assert repeated.lead_ids == []  # already opted in: no change, no second event
        leads = Lead.objects.filter(pk__in=ids)
        assert {(lead.sms_consent, lead.sms_consent_source) for lead in leads} == {
            ("opted_in", "keyword")
        }
        assert textable_leads().count() == 3
        assert EventLog.objects.filter(verb="sms_opted_in").count() == 2


def test_help_answers_with_the_workspaces_help_text_and_changes_nothing(make_workspace) -> None:
    fixture = make_workspace(name="Alpha Coaching")
    with schema_context(fixture.workspace.schema_name):
        _two_leads_with_the_number()

        outcome = apply_inbound_keyword(phone=NUMBER, body="help?")

        assert outcome.keyword == InboundKeyword.HELP
        assert outcome.reply.startswith("Alpha Coaching:")
        assert "Reply STOP" in outcome.reply
        assert outcome.lead_ids == []
        assert Lead.objects.filter(sms_consent="opted_in").count() == 2


def test_a_stop_from_a_number_no_lead_has_changes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        _two_leads_with_the_number()

        unknown = apply_inbound_keyword(phone="+442079460000", body="STOP")
        garbage = apply_inbound_keyword(phone="not a number", body="STOP")

        assert (unknown.keyword, unknown.lead_ids) == (InboundKeyword.OPT_OUT, [])
        assert garbage.lead_ids == []
        assert not Lead.objects.filter(sms_consent="opted_out").exists()


def test_a_stop_in_one_workspace_never_opts_out_the_number_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    for fixture in two_workspaces:
        with schema_context(fixture.workspace.schema_name):
            create_lead(actor=None, email="a@x.example", phone=NUMBER, **OPTED_IN)

    with schema_context(alpha.workspace.schema_name):
        outcome = apply_inbound_keyword(phone=NUMBER, body="STOP")
        assert outcome.reply.startswith("Alpha Coaching:")
    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.get().sms_consent == "opted_in"
        assert not EventLog.objects.filter(verb="sms_opted_out").exists()
        assert apply_inbound_keyword(phone=NUMBER, body="HELP").reply.startswith("Beta Courses:")


def test_the_lead_timeline_says_the_lead_texted_stop(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        [lead_id, _] = _two_leads_with_the_number()
        apply_inbound_keyword(phone=NUMBER, body="stop")

    text = page_text(fixture.signed_in_client().get(f"/leads/{lead_id}/"))

    assert "Opted out of texts" in text
    assert "Via text STOP" in text
    assert "SMS consent Opted out on" in text
