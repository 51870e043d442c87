"""The lead page's email parts (outreach/pages/lead_email.py): a one-off email written on
the page goes through send_lead_email to the Postmark double and shows on the timeline; an
unsubscribed or suppressed lead is refused with the reason; the Email card says whether the
lead gets email, since when and how it stopped, and what that means for campaigns."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from outreach.delivery.sender import deliver
from outreach.models import Campaign, Suppression
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.pages import page_text

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def _lead(fixture, **fields) -> int:
    response = post(
        api(fixture), "/api/v1/leads", {"first_name": "Ada", "email": "ada@x.example", **fields}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_an_email_written_on_the_lead_page_reaches_postmark_and_the_timeline(
    make_workspace, postmark
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    lead_id = _lead(fixture)
    page = fixture.signed_in_client()

    form = page.get(f"/leads/{lead_id}/email/", **HTMX)
    queued = page.post(
        f"/leads/{lead_id}/email/",
        {
            "subject": "Your call, {{ lead.first_name }}",
            "body": "Hi {{ lead.first_name }}, see you.",
        },
        **HTMX,
    )
    with schema_context(fixture.workspace.schema_name):
        run = deliver(campaign_id=None)
    timeline = page_text(page.get(f"/leads/{lead_id}/timeline/"))

    assert form.status_code == 200 and "Send the email" in page_text(form)
    assert queued.status_code == 200 and queued["HX-Trigger"] == "lead-changed"
    assert "Queued to ada@x.example" in page_text(queued)
    assert run.sent == 1
    [email] = postmark.received
    assert (email["To"], email["Subject"], email["TextBody"]) == (
        "ada@x.example", "Your call, Ada", "Hi Ada, see you."
    )  # fmt: skip
    assert "Email sent: Your call, Ada" in timeline and "Sent" in timeline
    assert "Email queued" in timeline


def test_without_javascript_the_email_page_sends_and_returns_to_the_lead(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    page = fixture.signed_in_client()

    whole = page.get(f"/leads/{lead_id}/email/")
    sent = page.post(f"/leads/{lead_id}/email/", {"subject": "Hello", "body": "Hi"})
    empty = page.post(f"/leads/{lead_id}/email/", {"subject": "", "body": " "})

    assert whole.status_code == 200 and "Email Ada" in page_text(whole)
    assert sent.status_code == 302 and sent["Location"] == f"/leads/{lead_id}/"
    assert "queued" in page_text(page.get(sent["Location"]))
    assert empty.status_code == 422 and "This field is required." in page_text(empty)
    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.count() == 1


def test_an_unsubscribed_or_bounced_lead_is_refused_with_the_reason(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    unsubscribed = _lead(fixture)
    bounced = _lead(fixture, email="gone@x.example")
    with schema_context(fixture.workspace.schema_name):
        Lead.objects.filter(pk=unsubscribed).update(unsubscribed_at=timezone.now())
        Suppression.objects.create(email="GONE@x.example", reason="hard_bounce")
    page = fixture.signed_in_client()

    form = page_text(page.get(f"/leads/{unsubscribed}/email/", **HTMX))
    refused = page.post(f"/leads/{unsubscribed}/email/", {"subject": "Hi", "body": "Hi"}, **HTMX)
    refused_page = page.post(f"/leads/{bounced}/email/", {"subject": "Hi", "body": "Hi"})

    assert "This lead unsubscribed" in form and "Send the email" not in form
    assert refused.status_code == 422
    assert "unsubscribed, bounced or complained" in page_text(refused)
    assert refused_page.status_code == 409 and "hard bounce" in page_text(refused_page)
    with schema_context(fixture.workspace.schema_name):
        assert Message.objects.count() == 0
    assert postmark.received == []


def test_the_email_card_says_how_the_lead_stopped_getting_email(make_workspace) -> None:
    fixture = make_workspace()
    subscribed = _lead(fixture)
    unsubscribed = _lead(fixture, email="left@x.example")
    complained = _lead(fixture, email="spam@x.example")
    phone_only = post(api(fixture), "/api/v1/leads", {"phone": "+1 202 555 0100"}).json()["id"]
    with schema_context(fixture.workspace.schema_name):
        campaign = Campaign.objects.create(name="Spring cohort", subject="s", body_template="b")
        Lead.objects.filter(pk=unsubscribed).update(unsubscribed_at=timezone.now())
        Suppression.objects.create(
            email="left@x.example", reason="unsubscribed", lead_id=unsubscribed
        )
        EventLog.objects.create(
            verb="unsubscribed", object_type="lead", object_id=unsubscribed,
            changes={"via": "one_click", "campaign_id": campaign.pk, "message_id": None},
        )  # fmt: skip
        Suppression.objects.create(email="spam@x.example", reason="spam_complaint")
    page = fixture.signed_in_client()

    def card(lead_id: int) -> str:
        return page_text(page.get(f"/leads/{lead_id}/email/state/", **HTMX))

    assert "Subscribed" in card(subscribed) and "Campaigns whose audience matches" in card(
        subscribed
    )
    assert "Stop emailing this lead" in card(subscribed)  # the owner may
    left = card(unsubscribed)
    assert "Unsubscribed on" in left and "with the unsubscribe button of their mail app" in left
    assert "“Spring cohort”" in left and "Only the lead can subscribe again" in left
    assert "Spam complaint on" in card(complained) and "cannot take email" in card(complained)
    assert "no email address" in card(phone_only)


def test_an_admin_stops_a_leads_email_and_the_timeline_says_so(make_workspace) -> None:
    fixture = make_workspace()
    lead_id = _lead(fixture)
    add_member(fixture.workspace, "admin", "a@x.example")
    admin = sign_in_client(fixture.workspace, "a@x.example")

    stopped = admin.post(f"/leads/{lead_id}/email/suppress/")
    card = page_text(admin.get(f"/leads/{lead_id}/email/state/", **HTMX))
    timeline = page_text(admin.get(f"/leads/{lead_id}/timeline/"))

    assert stopped.status_code == 302
    assert "Added by the team on" in card
    assert "Put on the do-not-email list" in timeline
