"""Texts leads send to the workspace's number, at POST /webhooks/twilio/inbound on its
domain: STOP opts the lead out at once and the next campaign's audience skips it, START opts
back in, HELP answers with the workspace's help text, any other text is a reply on the
lead's timeline and conversation; signed by the workspace's auth token, once per MessageSid,
and one workspace's number never reaches another's leads."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from outreach.models import Campaign
from outreach.selectors.audience import campaign_audience
from sms.callback_urls import inbound_url
from sms.models import SmsAccount, TwilioEvent
from tests.support.sms import SENDER, add_textable_leads, connect_twilio
from tests.support.sms_texts import send_text, sms_campaign, text_in
from tests.support.twilio_double import post_signed

LEAD_PHONE = "+14155552000"  # add_textable_leads' first number


def replies(twiml: str) -> list[str]:
    """The texts a TwiML answer sends back (Twilio's <Response><Message>...)."""
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    return [message.text or "" for message in root.findall("Message")]


def audience_ids(workspace) -> list[int]:
    with schema_context(workspace.schema_name):
        return sorted(campaign_audience("sms", {}).values_list("pk", flat=True))


def test_stop_opts_the_lead_out_and_the_next_campaign_skips_it(make_workspace, twilio) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    account, _ = connect_twilio(fixture.workspace, twilio)
    stopper, stays = add_textable_leads(fixture.workspace, 2)
    campaign_id = sms_campaign(fixture.workspace)
    send_text(fixture.workspace, stopper, campaign_id=campaign_id)
    assert audience_ids(fixture.workspace) == [stopper, stays]

    status, twiml = text_in(
        twilio, fixture.workspace, account, LEAD_PHONE, " Stop! ", fixture.client()
    )

    assert status == 200
    assert replies(twiml) == [
        "Alpha Coaching: you are opted out and will get no more texts. Reply START to opt back in."
    ]
    assert audience_ids(fixture.workspace) == [stays]  # the next campaign's audience
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(pk=stopper)
        assert lead.sms_consent == "opted_out" and lead.sms_opted_out_at is not None
        assert Campaign.objects.get(pk=campaign_id).unsubscribed_count == 1
        assert not Message.objects.filter(direction="inbound").exists()  # a keyword, no reply
        assert EventLog.objects.filter(verb="sms_opted_out", object_id=stopper).count() == 1

    # Another STOP (another SID) changes nothing and counts nothing more.
    text_in(twilio, fixture.workspace, account, LEAD_PHONE, "STOPALL", fixture.client())
    with schema_context(fixture.workspace.schema_name):
        assert Campaign.objects.get(pk=campaign_id).unsubscribed_count == 1


def test_start_opts_back_in_and_help_answers_the_workspaces_help_text(
    make_workspace, twilio
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    account, _ = connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1, sms_consent="opted_out")

    _, default_help = text_in(
        twilio, fixture.workspace, account, LEAD_PHONE, "help", fixture.client()
    )
    with schema_context(fixture.workspace.schema_name):
        SmsAccount.objects.update(help_text="Alpha Coaching: call 415 555 0100. STOP to end.")
    _, own_help = text_in(twilio, fixture.workspace, account, LEAD_PHONE, "HELP", fixture.client())
    _, started = text_in(twilio, fixture.workspace, account, LEAD_PHONE, "Start", fixture.client())

    assert replies(default_help)[0].startswith("Alpha Coaching: you get texts from us")
    assert replies(own_help) == ["Alpha Coaching: call 415 555 0100. STOP to end."]
    assert replies(started) == [
        "Alpha Coaching: you are opted in to texts again. Reply STOP to opt out."
    ]
    assert audience_ids(fixture.workspace) == [lead_id]
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
        assert (lead.sms_consent, lead.sms_consent_source) == ("opted_in", "keyword")


def test_a_reply_is_on_the_lead_timeline_and_counted_once_for_the_campaign(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    campaign_id = sms_campaign(fixture.workspace)
    send_text(fixture.workspace, lead_id, campaign_id=campaign_id)

    status, twiml = text_in(
        twilio, fixture.workspace, account, LEAD_PHONE, "Is there a payment plan?", fixture.client()
    )
    text_in(twilio, fixture.workspace, account, LEAD_PHONE, "Thanks!", fixture.client())

    assert status == 200 and replies(twiml) == []  # an empty answer: nothing texted back
    [first_sid, _] = [sent["params"]["MessageSid"] for sent in twilio.inbound_messages]
    with schema_context(fixture.workspace.schema_name):
        first, second = Message.objects.filter(direction="inbound").order_by("id")
        assert (first.lead_id, first.channel, first.status) == (lead_id, "sms", "received")
        assert (first.body, first.provider_id, first.to_phone) == (
            "Is there a payment plan?", first_sid, SENDER,
        )  # fmt: skip
        assert second.body == "Thanks!"
        assert Campaign.objects.get(pk=campaign_id).replied_count == 1  # one lead replied
        events = EventLog.objects.filter(verb="sms_received", object_id=lead_id)
        assert [event.changes["message_id"] for event in events.order_by("id")] == [
            first.pk, second.pk,
        ]  # fmt: skip
        assert TwilioEvent.objects.get(key=first_sid).message_id == first.pk


def test_the_same_inbound_text_twice_is_kept_once(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    text_in(twilio, fixture.workspace, account, LEAD_PHONE, "Hello?", fixture.client())
    [sent] = twilio.inbound_messages

    again = post_signed(sent["url"], sent["params"], account.auth_token, via=fixture.client())

    assert again[0] == 200 and replies(again[1]) == []
    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.filter(lead_id=lead_id, direction="inbound").count() == 1
        assert EventLog.objects.filter(verb="sms_received").count() == 1


def test_a_number_no_lead_has_becomes_a_new_lead_with_the_text(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)

    text_in(
        twilio, fixture.workspace, account, "+1 (415) 555-2999", "Who is this?", fixture.client()
    )

    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get()
        assert (lead.phone, lead.source, lead.sms_consent) == ("+14155552999", "other", "unknown")
        assert lead.messages.get().body == "Who is this?"
        assert EventLog.objects.get(verb="sms_received").changes["new_lead"] is True


def test_the_most_recently_updated_lead_with_the_number_gets_the_reply(
    make_workspace, twilio
) -> None:
    fixture = make_workspace()
    account, _ = connect_twilio(fixture.workspace, twilio)
    first, second = add_textable_leads(fixture.workspace, 2)
    with schema_context(fixture.workspace.schema_name):  # two leads share a number
        Lead.objects.filter(pk=second).update(
            phone=LEAD_PHONE, updated_at=timezone.now() - timedelta(days=3)
        )
        Lead.objects.filter(pk=first).update(updated_at=timezone.now() - timedelta(days=1))

    text_in(twilio, fixture.workspace, account, LEAD_PHONE, "Hi", fixture.client())

    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.get(direction="inbound").lead_id == first


def test_a_bad_or_missing_signature_is_403_and_changes_nothing(make_workspace, twilio) -> None:
    fixture = make_workspace()
    connect_twilio(fixture.workspace, twilio)
    [lead_id] = add_textable_leads(fixture.workspace, 1)
    url = inbound_url(fixture.workspace)
    stop = {"MessageSid": "SM" + "a" * 32, "From": LEAD_PHONE, "To": SENDER, "Body": "STOP"}

    unsigned = fixture.client().post(url.removeprefix(fixture.workspace.url), stop)
    wrong = post_signed(url, stop, "y" * 32, via=fixture.client())

    assert unsigned.status_code == wrong[0] == 403
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get(pk=lead_id).sms_consent == "opted_in"
        assert not TwilioEvent.objects.exists()


def test_workspace_a_inbound_never_touches_workspace_b(two_workspaces, twilio) -> None:
    alpha, beta = two_workspaces
    alpha_account, _ = connect_twilio(alpha.workspace, twilio)
    connect_twilio(beta.workspace, twilio)
    [beta_lead] = add_textable_leads(beta.workspace, 1)  # the same number in B only

    # A's account signs for B's inbound URL on B's host: B's token is another.
    on_b = twilio.inbound(
        inbound_url(beta.workspace), LEAD_PHONE, SENDER, "STOP", alpha_account.sid,
        via=beta.client(),
    )  # fmt: skip
    # A's own URL: the number is looked up among A's leads only (a new lead in A).
    on_a = text_in(twilio, alpha.workspace, alpha_account, LEAD_PHONE, "STOP", alpha.client())
    reply = text_in(twilio, alpha.workspace, alpha_account, LEAD_PHONE, "hello", alpha.client())

    assert on_b[0] == 403 and on_a[0] == 200 and reply[0] == 200
    with schema_context(beta.workspace.schema_name):
        lead = Lead.objects.get(pk=beta_lead)
        assert lead.sms_consent == "opted_in"
        assert not Message.objects.filter(direction="inbound").exists()
        assert not TwilioEvent.objects.exists()
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get().phone == LEAD_PHONE  # A's own new lead
