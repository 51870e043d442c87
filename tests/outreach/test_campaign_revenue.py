"""Revenue per campaign: a payment is credited to the last campaign whose email the lead
clicked within the workspace's attribution window before paying; the campaign's stats and
results page show its net revenue per currency and per recipient sent; another workspace's
payments never count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.payments.selectors.attribution import attributed_campaign_id
from crm.models import Lead, Message
from tests.support.clients import api, post
from tests.support.email import create_campaign, ready_campaign, run_jobs
from tests.support.pages import page_text
from tests.support.payments import add_lead, add_payment


def _campaigns(fixture, count: int) -> list[int]:
    client = api(fixture)
    return [create_campaign(client, name=f"Campaign {n}")["id"] for n in range(count)]


def _click(workspace, *, lead_id: int, campaign_id: int, at) -> None:
    """The lead's email of the campaign, clicked at `at` (as Postmark's webhook records)."""
    with schema_context(workspace.schema_name):
        lead = Lead.objects.get(pk=lead_id)
        Message.objects.create(
            lead=lead,
            channel=Message.Channel.EMAIL,
            campaign_id=campaign_id,
            subject="Doors open",
            to_email=lead.email or "",
            status=Message.Status.CLICKED,
            opened_at=at,
            clicked_at=at,
        )


def _credited(workspace, *, lead_id: int, paid_at) -> int | None:
    with schema_context(workspace.schema_name):
        return attributed_campaign_id(lead_id=lead_id, paid_at=paid_at)


def _sent_campaign(fixture, *, leads: int) -> tuple[Client, dict[str, Any]]:
    client, campaign = ready_campaign(fixture, leads=leads)
    assert post(client, f"/api/v1/campaigns/{campaign['id']}/send", {}).status_code == 202
    run_jobs(fixture.workspace, campaign["id"])
    return client, campaign


def test_the_last_campaign_clicked_within_the_window_is_credited(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    paid_at = timezone.now()
    ada = add_lead(ws, "ada@example.com")
    bob = add_lead(ws, "bob@example.com")
    earlier, latest, afterwards, bobs = _campaigns(fixture, 4)
    _click(ws, lead_id=ada, campaign_id=earlier, at=paid_at - timedelta(days=5))
    _click(ws, lead_id=ada, campaign_id=latest, at=paid_at - timedelta(days=2))
    # A click after paying did not bring the payment; another lead's click is not Ada's.
    _click(ws, lead_id=ada, campaign_id=afterwards, at=paid_at + timedelta(hours=1))
    _click(ws, lead_id=bob, campaign_id=bobs, at=paid_at - timedelta(hours=1))

    assert _credited(ws, lead_id=ada, paid_at=paid_at) == latest
    assert _credited(ws, lead_id=bob, paid_at=paid_at) == bobs


def test_a_click_before_the_window_brings_nothing(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    paid_at = timezone.now()
    ada = add_lead(ws, "ada@example.com")
    (campaign,) = _campaigns(fixture, 1)
    _click(ws, lead_id=ada, campaign_id=campaign, at=paid_at - timedelta(days=7, minutes=1))

    assert ws.attribution_window_days == 7
    assert _credited(ws, lead_id=ada, paid_at=paid_at) is None
    assert _credited(ws, lead_id=ada, paid_at=paid_at - timedelta(minutes=2)) == campaign


def test_a_wider_window_set_in_settings_credits_new_payments(make_workspace) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    paid_at = timezone.now()
    ada = add_lead(ws, "ada@example.com")
    (campaign,) = _campaigns(fixture, 1)
    _click(ws, lead_id=ada, campaign_id=campaign, at=paid_at - timedelta(days=10))
    before = _credited(ws, lead_id=ada, paid_at=paid_at)
    # A payment recorded under the old window keeps what it was credited (nothing).
    recorded = add_payment(ws, lead_id=ada, campaign_id=before, paid_at=paid_at)

    saved = fixture.signed_in_client().post(
        "/settings/workspace/",
        {"name": ws.name, "time_zone": "UTC", "attribution_window_days": "14"},
    )

    assert before is None
    assert saved.status_code == 302, saved.content
    assert _credited(ws, lead_id=ada, paid_at=paid_at) == campaign
    with schema_context(ws.schema_name):
        recorded.refresh_from_db()
    assert recorded.campaign_id is None


def test_the_window_is_1_to_90_days(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    page = client.get("/settings/workspace/")
    refused = [
        client.post(
            "/settings/workspace/",
            {"name": "Alpha", "time_zone": "UTC", "attribution_window_days": days},
        )
        for days in ("0", "91", "-3", "seven")
    ]
    kept = client.post(
        "/settings/workspace/",
        {"name": "Alpha", "time_zone": "UTC", "attribution_window_days": "90"},
    )

    assert 'name="attribution_window_days"' in page.content.decode()
    assert 'value="7"' in page.content.decode()
    assert [response.status_code for response in refused] == [422, 422, 422, 422]
    assert kept.status_code == 302
    fixture.workspace.refresh_from_db()
    assert fixture.workspace.attribution_window_days == 90


def test_stats_carry_net_revenue_per_currency_and_per_recipient(make_workspace, postmark) -> None:
    fixture = make_workspace()
    ws = fixture.workspace
    client, campaign = _sent_campaign(fixture, leads=4)
    other = create_campaign(client, name="Another")["id"]
    cid = campaign["id"]
    add_payment(ws, amount=10_000, campaign_id=cid)
    add_payment(
        ws, amount=5_000, refunded_amount=1_000, status="partially_refunded", campaign_id=cid
    )
    add_payment(ws, amount=8_000, refunded_amount=8_000, status="refunded", campaign_id=cid)
    add_payment(ws, amount=99_900, status="failed", campaign_id=cid)
    add_payment(ws, amount=3_000, currency="EUR", campaign_id=cid)
    add_payment(ws, amount=50_000, campaign_id=other)
    add_payment(ws, amount=70_000)  # credited to no campaign

    stats = client.get(f"/api/v1/campaigns/{cid}/stats").json()

    assert stats["counts"]["sent"] == 4
    assert set(stats) >= {"id", "status", "progress", "counts", "rates", "revenue"}
    assert stats["revenue"] == [
        {
            "currency": "USD",
            "amount": 14_000,
            "amount_decimal": "140.00",
            "payments": 2,
            "per_recipient": 3_500,
            "per_recipient_decimal": "35.00",
        },
        {
            "currency": "EUR",
            "amount": 3_000,
            "amount_decimal": "30.00",
            "payments": 1,
            "per_recipient": 750,
            "per_recipient_decimal": "7.50",
        },
    ]


def test_the_results_page_shows_revenue_and_revenue_per_recipient(make_workspace, postmark) -> None:
    fixture = make_workspace()
    _, campaign = _sent_campaign(fixture, leads=4)
    add_payment(fixture.workspace, amount=12_000, campaign_id=campaign["id"])
    add_payment(fixture.workspace, amount=4_000, currency="GBP", campaign_id=campaign["id"])

    text = page_text(fixture.signed_in_client().get(f"/campaigns/{campaign['id']}/"))

    assert "Revenue" in text
    assert "USD 120.00" in text and "USD 30.00 per recipient" in text
    assert "GBP 40.00" in text and "GBP 10.00 per recipient" in text


def test_a_campaign_without_payments_says_how_they_are_credited(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = _sent_campaign(fixture, leads=2)

    stats = client.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()
    text = page_text(fixture.signed_in_client().get(f"/campaigns/{campaign['id']}/"))

    assert stats["revenue"] == []
    assert "No payment is credited to this campaign yet" in text
    assert "clicked in the 7 days before paying" in text


def test_another_workspaces_payments_never_count_for_a_campaign(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    _, alpha_campaign = _sent_campaign(alpha, leads=2)
    beta_client, beta_campaign = _sent_campaign(beta, leads=2)
    # Each schema numbers its campaigns from 1: the same id names two different campaigns.
    assert alpha_campaign["id"] == beta_campaign["id"]
    add_payment(alpha.workspace, amount=777_700, campaign_id=alpha_campaign["id"])
    alpha_only = create_campaign(api(alpha), name="Alpha only")["id"]

    beta_stats = beta_client.get(f"/api/v1/campaigns/{beta_campaign['id']}/stats").json()
    beta_page = beta.signed_in_client().get(f"/campaigns/{beta_campaign['id']}/")
    stolen = Client(
        HTTP_HOST=beta.host, HTTP_AUTHORIZATION=api(alpha).defaults["HTTP_AUTHORIZATION"]
    ).get(f"/api/v1/campaigns/{alpha_campaign['id']}/stats")

    assert beta_stats["revenue"] == []
    assert beta_client.get(f"/api/v1/campaigns/{alpha_only}/stats").status_code == 404
    assert "7,777.00" not in beta_page.content.decode()
    assert stolen.status_code == 401
