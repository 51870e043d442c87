"""The plan's monthly emails, at their edge: a campaign over the allowance is refused before
it starts (it stays a draft, no message is frozen), one that fits is counted when its
audience is frozen, one-off emails count one each, a cancelled campaign gives back what it
never sent."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from crm.models import Message
from mail.models import EmailUsage
from outreach.models import Campaign
from tenants.limits import emails_sent_this_month, record_sms_segments, usage
from tests.support.clients import api, post
from tests.support.email import add_leads, campaign_row, ready_campaign, run_jobs
from tests.support.limits import refusal, set_limits
from tests.support.pages import page_text


def used(workspace) -> int:
    with schema_context(workspace.schema_name):
        return emails_sent_this_month()


def messages_of(workspace) -> int:
    with schema_context(workspace.schema_name):
        return Message.objects.count()


def use_emails(workspace, count: int) -> None:
    from tenants.limits import this_month

    with schema_context(workspace.schema_name):
        EmailUsage.objects.update_or_create(month=this_month(), defaults={"emails": count})


def test_a_campaign_that_fits_exactly_goes_out_and_is_counted(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    use_emails(fixture.workspace, 7)
    set_limits(fixture.workspace, monthly_email_limit=10)

    sent = post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    assert sent.status_code == 202, sent.content
    assert campaign_row(fixture.workspace, campaign["id"]).status == "sent"
    assert len(postmark.accepted_to()) == 3
    assert used(fixture.workspace) == 10


def test_a_campaign_over_the_allowance_is_refused_and_stays_a_draft(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=4)
    use_emails(fixture.workspace, 7)
    set_limits(fixture.workspace, monthly_email_limit=10)

    refused = post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})

    error = refusal(refused)
    assert error["message"] == (
        "Your Growth plan allows 10 emails a month; this workspace has sent 7 this month and this "
        "would add 4. Upgrade in Settings → Billing to send more (or wait for the 1st of next "
        "month)."
    )
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.status, row.frozen_at) == ("draft", None)
    assert messages_of(fixture.workspace) == 0 and postmark.received == []
    assert used(fixture.workspace) == 7


def test_scheduling_over_the_allowance_this_month_is_refused(make_workspace) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    set_limits(fixture.workspace, monthly_email_limit=1)
    soon = timezone.now() + timedelta(minutes=5)
    when = soon if soon.month == timezone.now().month else timezone.now() + timedelta(seconds=30)

    refused = post(
        client, f"/api/v1/campaigns/{campaign['id']}/schedule", {"scheduled_at": when.isoformat()}
    )

    assert refusal(refused)["details"][0]["adding"] == 2
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"


def test_an_audience_that_grew_past_the_allowance_is_paused_before_its_first_email(
    make_workspace, postmark
) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=2)
    set_limits(fixture.workspace, monthly_email_limit=2)
    sent = post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    add_leads(fixture.workspace, 1, prefix="late")  # joins before the start job freezes

    run_jobs(fixture.workspace, campaign["id"])

    assert sent.status_code == 202
    row = campaign_row(fixture.workspace, campaign["id"])
    assert (row.status, row.frozen_at, row.audience_size) == ("paused", None, 0)
    assert row.last_error.startswith(
        "Not started, nothing was sent: Your Growth plan allows 2 emails"
    )
    assert messages_of(fixture.workspace) == 0 and postmark.received == []
    assert used(fixture.workspace) == 0


def test_the_campaign_page_shows_the_refusal_with_a_link_to_billing(make_workspace) -> None:
    fixture = make_workspace()
    _, campaign = ready_campaign(fixture, leads=2)
    set_limits(fixture.workspace, monthly_email_limit=1)
    page = fixture.signed_in_client()

    refused = page.post(f"/campaigns/{campaign['id']}/send/")

    assert refused.status_code == 402
    assert (
        "Your Growth plan allows 1 email a month; this workspace has sent 0 this month and "
        "this would add 2." in page_text(refused)
    )
    assert b'href="/settings/billing/"' in refused.content
    assert campaign_row(fixture.workspace, campaign["id"]).status == "draft"


def test_one_off_emails_count_one_each_up_to_the_limit(make_workspace, postmark) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)
    use_emails(fixture.workspace, 4)
    set_limits(fixture.workspace, monthly_email_limit=5)
    client = api(fixture)
    email = {"subject": "Hello", "body": "Hi there"}

    at_limit = post(client, f"/api/v1/leads/{lead_id}/email", email)
    over = post(client, f"/api/v1/leads/{lead_id}/email", email)

    assert at_limit.status_code == 202
    assert "this workspace has sent 5 this month." in refusal(over)["message"]
    assert messages_of(fixture.workspace) == 1
    assert used(fixture.workspace) == 5


def test_the_lead_email_form_shows_the_limit(make_workspace, postmark) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)
    set_limits(fixture.workspace, monthly_email_limit=0)
    page = fixture.signed_in_client()

    refused = page.post(
        f"/leads/{lead_id}/email/", {"subject": "Hello", "body": "Hi"}, HTTP_HX_REQUEST="true"
    )

    assert refused.status_code == 402 and b"<html" not in refused.content
    assert "Your Growth plan allows 0 emails a month" in page_text(refused)
    assert b'href="/settings/billing/"' in refused.content
    assert messages_of(fixture.workspace) == 0


def test_cancelling_gives_back_the_emails_that_never_went_out(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client, campaign = ready_campaign(fixture, leads=3)
    set_limits(fixture.workspace, monthly_email_limit=3)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    with schema_context(fixture.workspace.schema_name):
        from outreach.delivery import start_campaign

        start_campaign(campaign_id=campaign["id"])  # frozen and counted, nothing sent yet
    frozen = used(fixture.workspace)

    cancelled = post(client, f"/api/v1/campaigns/{campaign['id']}/cancel", {})

    assert (frozen, cancelled.status_code) == (3, 200)
    assert used(fixture.workspace) == 0


def test_usage_lists_every_limit_for_the_billing_page(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)
    use_emails(fixture.workspace, 9)
    set_limits(
        fixture.workspace,
        seat_limit=5,
        lead_limit=None,
        monthly_email_limit=100,
        monthly_sms_segment_limit=50,
    )
    with schema_context(fixture.workspace.schema_name), transaction.atomic():
        record_sms_segments(count=7)

    with schema_context(fixture.workspace.schema_name):
        rows = {(row.limit, row.allowed, row.used, row.left) for row in usage()}

    assert rows == {
        ("seats", 5, 1, 4),
        ("leads", None, 2, None),
        ("emails", 100, 9, 91),
        ("sms_segments", 50, 7, 43),
    }


def test_one_workspace_out_of_emails_does_not_stop_another(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    alpha_client, alpha_campaign = ready_campaign(alpha, leads=2)
    beta_client, beta_campaign = ready_campaign(beta, leads=2)
    set_limits(alpha.workspace, monthly_email_limit=1)
    set_limits(beta.workspace, monthly_email_limit=2)

    refused = post(alpha_client, f"/api/v1/campaigns/{alpha_campaign['id']}/send", {})
    sent = post(beta_client, f"/api/v1/campaigns/{beta_campaign['id']}/send", {})
    run_jobs(beta.workspace, beta_campaign["id"])

    assert refusal(refused)["code"] == "plan_limit_reached"
    assert sent.status_code == 202
    assert campaign_row(beta.workspace, beta_campaign["id"]).status == Campaign.Status.SENT
    assert (used(alpha.workspace), used(beta.workspace)) == (0, 2)
