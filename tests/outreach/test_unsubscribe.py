"""The signed per-lead unsubscribe link: a confirmation page (GET changes nothing), the
page's button and RFC 8058 one-click POST, re-subscribing only through the link, and links
that mean nothing on another workspace's domain."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from django.test import Client
from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from outreach.models import Suppression
from outreach.unsubscribe_links import unsubscribe_token
from tests.support.clients import api, patch, post
from tests.support.email import campaign_row, ready_campaign, run_jobs


def link_path(email: dict) -> str:
    """The path of the List-Unsubscribe link of an email the double received."""
    header = next(h["Value"] for h in email["Headers"] if h["Name"] == "List-Unsubscribe")
    return urlparse(header.strip("<>")).path


def sent_campaign(fixture, postmark, leads: int = 2):
    client, campaign = ready_campaign(fixture, leads=leads)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])
    return client, campaign


def lead_of(workspace, email: str) -> Lead:
    with schema_context(workspace.schema_name):
        return Lead.objects.get(email=email)


def test_the_link_asks_first_and_unsubscribes_on_the_button(make_workspace, postmark) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    _, campaign = sent_campaign(fixture, postmark)
    email = postmark.received[0]
    visitor = Client(HTTP_HOST=fixture.host)

    page = visitor.get(link_path(email))
    still_subscribed = lead_of(fixture.workspace, email["To"]).unsubscribed_at
    done = visitor.post(link_path(email))
    again = visitor.post(link_path(email))

    assert page.status_code == 200
    assert "Unsubscribe from Alpha Coaching?" in page.content.decode()
    assert email["To"] in page.content.decode()
    assert still_subscribed is None
    assert done.status_code == 200 and "You are unsubscribed" in done.content.decode()
    assert again.status_code == 200
    lead = lead_of(fixture.workspace, email["To"])
    assert lead.unsubscribed_at is not None
    assert campaign_row(fixture.workspace, campaign["id"]).unsubscribed_count == 1
    with schema_context(fixture.workspace.schema_name):
        assert Suppression.objects.get().reason == "unsubscribed"
        assert Message.objects.get(to_email=email["To"]).unsubscribed_at is not None
        assert list(
            EventLog.objects.filter(object_type="lead", object_id=lead.pk).values_list(
                "verb", flat=True
            )
        ) == ["unsubscribed"]


def test_one_click_post_from_a_mail_client_unsubscribes(make_workspace, postmark) -> None:
    fixture = make_workspace()
    sent_campaign(fixture, postmark)
    email = postmark.received[1]
    mail_client = Client(HTTP_HOST=fixture.host, enforce_csrf_checks=True)

    response = mail_client.post(link_path(email), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert lead_of(fixture.workspace, email["To"]).unsubscribed_at is not None
    with schema_context(fixture.workspace.schema_name):
        event = EventLog.objects.get(verb="unsubscribed")
    assert event.changes["via"] == "one_click"


def test_an_unsubscribed_lead_gets_no_later_campaign(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, _ = sent_campaign(fixture, postmark)
    gone = postmark.received[0]
    Client(HTTP_HOST=fixture.host).post(link_path(gone), {"List-Unsubscribe": "One-Click"})
    postmark.received.clear()

    second = post(
        client,
        "/api/v1/campaigns",
        {"name": "Second", "subject": "Again", "body_template": "Hello again"},
    ).json()
    post(client, f"/api/v1/campaigns/{second['id']}/send", {})
    run_jobs(fixture.workspace, second["id"])

    assert gone["To"] not in postmark.accepted_to()
    assert len(postmark.accepted_to()) == 1


def test_only_the_lead_resubscribes_through_its_link(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, _ = sent_campaign(fixture, postmark)
    email = postmark.received[0]
    visitor = Client(HTTP_HOST=fixture.host)
    visitor.post(link_path(email))
    lead = lead_of(fixture.workspace, email["To"])

    by_api = patch(client, f"/api/v1/leads/{lead.pk}", {"unsubscribed_at": None})
    still = lead_of(fixture.workspace, email["To"]).unsubscribed_at
    back = visitor.post(f"{link_path(email)}resubscribe/")

    assert by_api.status_code == 422  # not a field the team can write
    assert still is not None
    assert back.status_code == 200 and "Welcome back" in back.content.decode()
    assert lead_of(fixture.workspace, email["To"]).unsubscribed_at is None
    with schema_context(fixture.workspace.schema_name):
        assert not Suppression.objects.exists()


def test_resubscribing_does_not_lift_a_hard_bounce(make_workspace, postmark) -> None:
    fixture = make_workspace()
    sent_campaign(fixture, postmark)
    email = postmark.received[0]
    with schema_context(fixture.workspace.schema_name):
        Suppression.objects.create(email=email["To"], reason="hard_bounce")

    back = Client(HTTP_HOST=fixture.host).post(f"{link_path(email)}resubscribe/")

    assert "cannot be delivered (hard bounce)" in back.content.decode()
    with schema_context(fixture.workspace.schema_name):
        assert Suppression.objects.get().reason == "hard_bounce"


def test_a_link_of_one_workspace_is_404_on_another(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    sent_campaign(alpha, postmark, leads=1)
    sent_campaign(beta, postmark, leads=1)  # beta has a lead with the same id
    alpha_path = link_path(next(m for m in postmark.received if m["To"].endswith("@alpha.example")))
    on_beta = Client(HTTP_HOST=beta.host)

    page = on_beta.get(alpha_path)
    posted = on_beta.post(alpha_path, {"List-Unsubscribe": "One-Click"})
    resubscribe = on_beta.post(f"{alpha_path}resubscribe/")

    for response in (page, posted, resubscribe):
        assert response.status_code == 404
        assert "alpha.example" not in response.content.decode()
    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.get().unsubscribed_at is None
    with schema_context(alpha.workspace.schema_name):
        assert Lead.objects.get().unsubscribed_at is None


def test_a_tampered_or_forged_token_is_404(make_workspace, postmark) -> None:
    fixture = make_workspace()
    sent_campaign(fixture, postmark, leads=2)
    path = link_path(postmark.received[0])
    token = path.rstrip("/").rsplit("/", 1)[1]
    lead_id = int(token.split(".")[0])
    other_lead = token.replace(f"{lead_id}.", f"{lead_id + 1}.", 1)
    forged = unsubscribe_token(schema_name="ws_other", lead_id=lead_id, message_id=None)
    visitor = Client(HTTP_HOST=fixture.host)

    answers = [
        visitor.get(f"/unsubscribe/{other_lead}/").status_code,
        visitor.get(f"/unsubscribe/{forged}/").status_code,
        visitor.get("/unsubscribe/garbage/").status_code,
        visitor.post(f"/unsubscribe/{other_lead}/").status_code,
    ]

    assert answers == [404, 404, 404, 404]
    with schema_context(fixture.workspace.schema_name):
        assert not Lead.objects.filter(unsubscribed_at__isnull=False).exists()


def test_previews_carry_an_inert_link(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=1)

    preview = client.get(f"/api/v1/campaigns/{campaign['id']}/preview").json()
    match = re.search(r"Unsubscribe: \S+(/unsubscribe/\S+)", preview["text_body"])
    assert match
    path = match.group(1)
    page = Client(HTTP_HOST=fixture.host).get(path)
    posted = Client(HTTP_HOST=fixture.host).post(path)

    assert path == "/unsubscribe/preview/"
    assert "change nothing" in page.content.decode()
    assert posted.status_code == 200
    with schema_context(fixture.workspace.schema_name):
        assert not Lead.objects.filter(unsubscribed_at__isnull=False).exists()
    assert api(fixture).get("/api/v1/suppressions").json()["items"] == []
