"""The lead page's SMS conversation (outreach/pages/lead_sms.py): the texts both ways in
order with their time, status, reason and segments, the lead's SMS consent, a reply box that
queues through send_lead_sms and says why it is disabled when the lead cannot be texted, a
live count of characters and segments; another workspace's lead is a 404."""

from __future__ import annotations

import re
from typing import Any

from django_tenants.utils import schema_context

from crm.models import Lead, Message
from tests.support.clients import add_member, sign_in_client
from tests.support.pages import page_text
from tests.support.sms import add_textable_leads, connect_twilio
from tests.support.sms_texts import send_text, sms_campaign, text_in

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
LEAD_PHONE = "+14155552000"


def reply_box_disabled(html: str) -> bool:
    """Whether the reply box's textarea carries the `disabled` attribute."""
    return re.search(r"<textarea\b[^>]*\sdisabled(?=[\s>])", html) is not None


def member_client(fixture):
    add_member(fixture.workspace, "member")
    return sign_in_client(fixture.workspace, f"member@{fixture.workspace.slug}.example")


def test_the_thread_shows_both_ways_in_order_with_status_reason_and_segments(
    make_workspace, twilio
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    account, _ = connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    campaign_id = sms_campaign(fixture.workspace, "Spring cohort")
    first = send_text(
        fixture.workspace, lead_id, campaign_id=campaign_id, body="Doors open Monday!"
    )
    twilio.status_callback(first.sid, "delivered", via=fixture.client())
    text_in(
        twilio, fixture.workspace, account, LEAD_PHONE, "Is there a payment plan?", fixture.client()
    )
    second = send_text(fixture.workspace, lead_id, body="Yes: three monthly payments.")
    twilio.status_callback(second.sid, "undelivered", error_code=30007, via=fixture.client())
    page = member_client(fixture)

    panel = page.get(f"/leads/{lead_id}/sms/", **HTMX)
    timeline = page_text(page.get(f"/leads/{lead_id}/timeline/"))

    assert panel.status_code == 200
    text = page_text(panel)
    order = [
        text.index("Doors open Monday!"),
        text.index("Is there a payment plan?"),
        text.index("Yes: three monthly payments."),
    ]
    assert order == sorted(order)
    assert "Spring cohort · 1 segment · Delivered" in text
    assert "Not delivered: Twilio: the carrier filtered the text as spam (30007)" in text
    assert "SMS: Opted in · Web form" in text
    assert "Send text" in text and not reply_box_disabled(panel.content.decode())
    assert "Text received" in timeline and "Is there a payment plan?" in timeline
    assert "Text not delivered" in timeline


def test_a_reply_from_the_page_is_queued_by_the_member_and_joins_the_thread(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    page = member_client(fixture)

    sent = page.post(f"/leads/{lead_id}/sms/", {"body": "Hi {{ lead.first_name }} 👋"}, **HTMX)
    thread = page_text(page.get(f"/leads/{lead_id}/sms/thread/"))

    assert sent.status_code == 200 and sent["HX-Trigger"] == "lead-changed"
    assert f"Queued to {LEAD_PHONE}" in page_text(sent)
    with schema_context(fixture.workspace.schema_name):
        message = Message.objects.select_related("author").get(lead_id=lead_id, channel="sms")
        assert message.author is not None
        assert (message.body, message.status, message.author.email) == (
            "Hi Name0 👋", "queued", f"member@{fixture.workspace.slug}.example",
        )  # fmt: skip
    assert "Hi Name0 👋" in thread and "Queued" in thread


def test_the_reply_box_says_why_it_is_disabled_and_what_to_do(make_workspace, twilio) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()
    [opted_in] = add_textable_leads(fixture.workspace, 1)

    def box(lead_id: int) -> tuple[str, bool]:
        panel = page.get(f"/leads/{lead_id}/sms/", **HTMX)
        return page_text(panel), reply_box_disabled(panel.content.decode())

    no_account = box(opted_in)
    connect_twilio(fixture.workspace, twilio)
    [opted_out] = add_textable_leads(fixture.workspace, 1, start=3000, sms_consent="opted_out")
    [unknown] = add_textable_leads(fixture.workspace, 1, start=3001, sms_consent="unknown")
    with schema_context(fixture.workspace.schema_name):
        no_phone = Lead.objects.create(first_name="Nophone", email="nophone@x.example").pk

    assert no_account[1] and "An admin connects one in Settings → SMS" in no_account[0]
    text, disabled = box(opted_out)
    assert disabled and "replied STOP: no texts until they text START" in text
    assert "SMS: Opted out" in text
    text, disabled = box(unknown)
    assert disabled and "Record their SMS consent" in text and "SMS: Not asked" in text
    text, disabled = box(no_phone)
    assert disabled and "has no phone number" in text and "Add a number" in text
    assert box(opted_in)[1] is False
    refused = page.post(f"/leads/{opted_out}/sms/", {"body": "Hello"}, **HTMX)
    assert refused.status_code == 422 and "replied STOP" in page_text(refused)
    with schema_context(fixture.workspace.schema_name):
        assert not Message.objects.filter(channel="sms").exists()


def test_a_lead_who_texted_first_can_be_answered_without_recorded_consent(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)
    text_in(
        twilio,
        fixture.workspace,
        account,
        LEAD_PHONE,
        "Do you run weekend classes?",
        fixture.client(),
    )
    with schema_context(fixture.workspace.schema_name):
        lead_id = Lead.objects.get(phone=LEAD_PHONE).pk

    panel = fixture.signed_in_client().get(f"/leads/{lead_id}/sms/", **HTMX)

    assert "Do you run weekend classes?" in page_text(panel)
    assert not reply_box_disabled(panel.content.decode())


def test_the_live_counter_counts_characters_and_segments(make_workspace) -> None:
    fixture = make_workspace()
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    page = fixture.signed_in_client()

    gsm = page_text(page.post(f"/leads/{lead_id}/sms/count/", {"body": "x" * 160}, **HTMX))
    split = page_text(page.post(f"/leads/{lead_id}/sms/count/", {"body": "x" * 161}, **HTMX))
    emoji = page_text(page.post(f"/leads/{lead_id}/sms/count/", {"body": "x" * 70 + "👋"}, **HTMX))

    assert "160 characters · 1 segment · GSM-7" in gsm
    assert "161 characters · 2 segments · GSM-7 (153 per segment)" in split
    assert "71 characters · 2 segments · UCS-2 (67 per segment)" in emoji


def test_the_full_page_works_without_javascript(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    page = fixture.signed_in_client()

    shown = page.get(f"/leads/{lead_id}/sms/")
    sent = page.post(f"/leads/{lead_id}/sms/", {"body": "Hello"})
    lead_page = page_text(page.get(f"/leads/{lead_id}/"))

    assert shown.status_code == 200 and "Texts with Name0" in page_text(shown)
    assert sent.status_code == 302 and sent["Location"] == f"/leads/{lead_id}/sms/"
    assert "Texts" in lead_page and "See the texts with" in lead_page
    assert fixture.client().get(f"/leads/{lead_id}/sms/").status_code == 302  # signed out


def test_another_workspaces_lead_is_404_and_nothing_changes(two_workspaces, twilio) -> None:
    alpha, beta = two_workspaces
    connect_twilio(alpha.workspace, twilio)
    connect_twilio(beta.workspace, twilio)
    [lead_id] = add_textable_leads(alpha.workspace, 1)
    stranger = beta.signed_in_client()

    answers = [
        stranger.get(f"/leads/{lead_id}/sms/", **HTMX),
        stranger.get(f"/leads/{lead_id}/sms/"),
        stranger.get(f"/leads/{lead_id}/sms/thread/"),
        stranger.post(f"/leads/{lead_id}/sms/", {"body": "Hello"}, **HTMX),
        stranger.post(f"/leads/{lead_id}/sms/count/", {"body": "Hello"}, **HTMX),
    ]

    assert [answer.status_code for answer in answers] == [404] * 5
    assert "Name0" not in "".join(page_text(answer) for answer in answers)
    with schema_context(alpha.workspace.schema_name):
        assert not Message.objects.exists()
    with schema_context(beta.workspace.schema_name):
        assert not Message.objects.exists()
