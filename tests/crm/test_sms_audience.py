"""crm.selectors.sms_audience: only opted-in leads with a valid E.164 number and no
permanent delivery failure may be texted; each gate shown on its own."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead
from crm.selectors.leads import LeadFilter
from crm.selectors.sms_audience import sms_audience_leads, textable_leads
from crm.services.leads import create_lead, update_lead
from crm.services.sms_consent import clear_phone_undeliverable, mark_phone_undeliverable
from tests.support.pages import page_text

OPTED_IN: dict[str, Any] = {"sms_consent": "opted_in", "sms_consent_source": "web_form"}


def _audience_emails() -> list[str]:
    return sorted(str(email) for email in textable_leads().values_list("email", flat=True))


def test_each_gate_of_the_sms_audience(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        create_lead(actor=None, email="in@x.example", phone="+12025550100", **OPTED_IN)
        create_lead(actor=None, email="unknown@x.example", phone="+12025550101")
        create_lead(
            actor=None, email="out@x.example", phone="+12025550102", sms_consent="opted_out"
        )
        create_lead(actor=None, email="no-phone@x.example", **OPTED_IN)
        create_lead(actor=None, email="dead@x.example", phone="+12025550103", **OPTED_IN)
        mark_phone_undeliverable(phone="+12025550103", error_code="30006")
        create_lead(
            actor=None,
            email="emailed-out@x.example",
            phone="+12025550104",
            consent=False,
            **OPTED_IN,
        )
        Lead.objects.filter(email="emailed-out@x.example").update(unsubscribed_at=timezone.now())
        # A number typed before numbers were validated, never corrected: not E.164.
        legacy = create_lead(actor=None, email="legacy@x.example", phone="+12025550105", **OPTED_IN)
        Lead.objects.filter(pk=legacy.pk).update(phone="202 555 0105")

        assert _audience_emails() == ["emailed-out@x.example", "in@x.example"]


def test_an_audience_filter_narrows_the_textable_leads(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        create_lead(actor=None, phone="+12025550100", tags=["webinar"], **OPTED_IN)
        create_lead(actor=None, phone="+12025550101", tags=["cart"], **OPTED_IN)
        create_lead(actor=None, phone="+12025550102", tags=["webinar"])

        picked = sms_audience_leads(LeadFilter(tag=["webinar"]))

        assert list(picked.values_list("phone", flat=True)) == ["+12025550100"]


def test_undeliverable_marks_every_lead_with_the_number_once_and_can_be_cleared(
    make_workspace,
) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        first = create_lead(actor=None, email="a@x.example", phone="+12025550100", **OPTED_IN)
        second = create_lead(actor=None, email="b@x.example", phone="+12025550100", **OPTED_IN)

        marked = mark_phone_undeliverable(phone="+1 (202) 555-0100", error_code="30006")
        again = mark_phone_undeliverable(phone="+12025550100", error_code="30006")
        assert _audience_emails() == []
        clear_phone_undeliverable(actor=None, lead_id=first.pk)

        assert (sorted(marked), again) == (sorted([first.pk, second.pk]), [])
        assert _audience_emails() == ["a@x.example"]
        events = list(
            EventLog.objects.filter(verb__startswith="sms_")
            .order_by("id")
            .values("verb", "changes")
        )
        assert [event["verb"] for event in events] == [
            "sms_undeliverable",
            "sms_undeliverable",
            "sms_deliverable",
        ]
        assert events[0]["changes"]["reason"] == "30006"


def test_a_new_number_clears_the_undeliverable_mark(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        lead = create_lead(actor=None, email="a@x.example", phone="+12025550100", **OPTED_IN)
        mark_phone_undeliverable(phone="+12025550100", error_code="21614")

        update_lead(actor=None, lead_id=lead.pk, changes={"phone": "+12025550199"})

        assert _audience_emails() == ["a@x.example"]
        change = EventLog.objects.filter(verb="updated").get().changes
        assert change["sms_undeliverable_at"]["after"] is None


def test_a_mark_in_one_workspace_leaves_the_same_number_in_another_textable(
    two_workspaces,
) -> None:
    alpha, beta = two_workspaces
    for fixture in two_workspaces:
        with schema_context(fixture.workspace.schema_name):
            create_lead(actor=None, email="a@x.example", phone="+12025550100", **OPTED_IN)

    with schema_context(alpha.workspace.schema_name):
        mark_phone_undeliverable(phone="+12025550100", error_code="30006")
        assert _audience_emails() == []
    with schema_context(beta.workspace.schema_name):
        assert _audience_emails() == ["a@x.example"]


def test_the_lead_page_says_how_the_lead_agreed_to_texts(make_workspace) -> None:
    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        lead = create_lead(actor=None, phone="+12025550100", **OPTED_IN)
        mark_phone_undeliverable(phone="+12025550100", error_code="30006")
        unknown = create_lead(actor=None, phone="+12025550101")
    page = fixture.signed_in_client()

    agreed = page_text(page.get(f"/leads/{lead.pk}/"))
    never_asked = page_text(page.get(f"/leads/{unknown.pk}/"))

    assert "SMS consent Opted in (web form), since" in agreed
    assert "the number cannot receive texts" in agreed
    assert "SMS consent Not asked" in never_asked
