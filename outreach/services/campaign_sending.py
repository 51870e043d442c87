"""A campaign's way out: send now, schedule, pause, resume, cancel, and a test send.

Every change here is one transaction that moves the campaign through outreach.lifecycle,
which also writes its event and its entry in the public pending-send list, so the periodic
sweep always knows which sends are due or stalled, whatever happened to the workers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.services.events import record_event
from mail.gateway import Email, SendError, send_email
from outreach.delivery import after_commit_start, cancel_queued, has_in_flight
from outreach.errors import CampaignNotReady, EmailProviderError, SmsNotConnected
from outreach.events import CampaignEvent
from outreach.lifecycle import Pending, Transition, expect, move
from outreach.mail_templates import check_renders, compile_email, compile_template
from outreach.models import Campaign
from outreach.selectors.audience import audience_leads, campaign_audience
from outreach.selectors.email_settings import postal_address_missing
from outreach.selectors.sms_sending import segments_per_text
from project.errors import InvalidInput, NotFound, field_error
from sms.selectors.account import sms_account
from tenants.limits import (
    check_emails,
    check_sms_segments,
    check_writable,
    record_emails,
    record_sms_segments,
    this_month,
)
from tenants.schemas import current_workspace

log = structlog.get_logger(__name__)
MAX_SCHEDULE_AHEAD = timedelta(days=365)


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    return campaign


def check_ready(campaign: Campaign, *, need_audience: bool) -> None:
    """Everything a campaign needs before it may go out; raises with what to do next."""
    if campaign.channel == "sms":
        check_sms_ready(campaign, need_audience=need_audience)
        return
    missing = []
    if not campaign.subject.strip():
        missing.append(field_error("subject", "required", "Write a subject."))
    if not campaign.body_template.strip():
        missing.append(field_error("body_template", "required", "Write the email's text."))
    if missing:
        raise InvalidInput("The campaign is not finished; see details.", details=missing)
    check_renders(
        compile_email(
            subject=campaign.subject, text=campaign.body_template, html=campaign.html_template
        )
    )
    if postal_address_missing():
        raise CampaignNotReady(
            "Add your postal address first, in Email settings (or PATCH /api/v1/email/settings): "
            "the law asks for it in every marketing email, and every campaign email carries it."
        )
    if need_audience and not audience_leads(campaign.audience).exists():
        raise CampaignNotReady(
            "No lead matches this audience (unsubscribed and bounced leads never do); "
            "widen the audience first."
        )


def check_sms_ready(campaign: Campaign, *, need_audience: bool) -> None:
    """An SMS campaign needs its text (no subject, no postal address), a Twilio account to
    send it through, and someone who agreed to texts."""
    if not campaign.body_template.strip():
        raise InvalidInput(
            "The campaign is not finished; see details.",
            details=[field_error("body_template", "required", "Write the text.")],
        )
    compile_template(campaign.body_template, field="body_template")
    if sms_account() is None:
        raise SmsNotConnected(
            "No Twilio account is connected: connect Twilio in Settings → SMS "
            "(or PUT /api/v1/sms/account), then send the campaign."
        )
    if need_audience and not campaign_audience("sms", campaign.audience).exists():
        raise CampaignNotReady(
            "No lead of this audience may be texted: only leads opted in to SMS with a valid "
            "number never reported undeliverable are. Record their consent, or widen the "
            "audience first."
        )


def check_allowance(campaign: Campaign) -> None:
    """The workspace may send, and the campaign's audience as it is now fits this month's
    email allowance (an SMS campaign: its SMS segments, estimated from the text as one lead
    gets it): refused here, before it starts, never stopped halfway. The freeze counts
    again (delivery.start), under the same lock, when the audience is written."""
    check_writable()
    if campaign.channel == "sms":
        check_sms_segments(
            adding=lambda: (
                # one text per number, as the freeze writes them
                campaign_audience("sms", campaign.audience)
                .order_by()
                .values("phone")
                .distinct()
                .count()
                * segments_per_text(campaign)
            )
        )
        return
    check_emails(adding=lambda: audience_leads(campaign.audience).count())


@transaction.atomic
def send_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Send a draft (or a scheduled campaign) now. The audience is frozen and the email goes
    out in the background; raises 409 when it is not ready or not in a state to be sent,
    402 when its audience would cross the month's email limit or the workspace is
    read-only (it stays as it was)."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    expect(campaign, Transition.SEND)
    check_ready(campaign, need_audience=True)
    check_allowance(campaign)
    move(campaign, Transition.SEND, actor=actor, fields={"last_error": ""})
    after_commit_start(campaign.pk)
    return campaign


@transaction.atomic
def schedule_campaign(*, actor: User | None, campaign_id: int, scheduled_at: datetime) -> Campaign:
    """Send a draft at a later time (or move a scheduled one); the beat starts it when due.
    Refused (402) when its audience as it is now would cross this month's email limit; the
    start counts again when it is due."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    now = timezone.now()
    if scheduled_at <= now or scheduled_at > now + MAX_SCHEDULE_AHEAD:
        raise InvalidInput(
            details=[
                field_error(
                    "scheduled_at",
                    "out_of_range",
                    "Pick a time in the future, at most a year ahead (with a time zone).",
                )
            ]
        )
    expect(campaign, Transition.SCHEDULE)
    check_ready(campaign, need_audience=False)
    if this_month(scheduled_at) == this_month():
        check_allowance(campaign)
    else:
        check_writable()  # next month's allowance is counted when it starts
    before = campaign.scheduled_at
    return move(
        campaign,
        Transition.SCHEDULE,
        actor=actor,
        fields={"scheduled_at": scheduled_at},
        changes={
            "scheduled_at": {
                "before": before.isoformat() if before else None,
                "after": scheduled_at.isoformat(),
            }
        },
    )


@transaction.atomic
def pause_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Stop taking new batches; the batch in flight finishes. Resume picks up the rest."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    return move(_locked(campaign_id), Transition.PAUSE, actor=actor)


@transaction.atomic
def resume_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Carry on sending a paused campaign where it stopped; nobody gets it twice. Raises
    WorkspaceReadOnly (402) while the workspace is read-only."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    check_writable()
    campaign = move(_locked(campaign_id), Transition.RESUME, actor=actor, fields={"last_error": ""})
    after_commit_start(campaign.pk)
    return campaign


@transaction.atomic
def cancel_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Stop for good: messages not yet sent are marked cancelled and never go out."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    expect(campaign, Transition.CANCEL)
    before = campaign.status
    booked = campaign.messages.filter(status="queued").aggregate(total=Sum("segments"))["total"]
    dropped = cancel_queued(campaign)
    if campaign.frozen_at is not None and campaign.channel == "sms":
        # Never sent: their estimated segments given back to the month they were booked in.
        record_sms_segments(count=-(booked or 0), month=this_month(campaign.frozen_at))
    elif campaign.frozen_at is not None:
        # Never sent: given back to the month the audience was counted in.
        record_emails(count=-dropped, month=this_month(campaign.frozen_at))
    # A batch in flight keeps the entry: a sender settles (or reconciles) it, then drops it.
    in_flight = has_in_flight(campaign)
    return move(
        campaign,
        Transition.CANCEL,
        actor=actor,
        pending=Pending.ACTIVE if in_flight else Pending.DROP,
        changes={"status": {"before": before, "after": "cancelled"}, "not_sent": dropped},
    )


def send_campaign_test(*, actor: User, campaign_id: int, lead_id: int | None = None) -> str:
    """Send the campaign as `lead_id` (or the audience's first lead) would get it, to the
    person asking, marked [Test]; returns the address. Nothing is counted or logged on leads."""
    from outreach.selectors.campaigns import render_preview
    from outreach.selectors.sending_identity import sending_identity

    require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    preview = render_preview(campaign, lead_id=lead_id)
    workspace = current_workspace()
    identity = sending_identity(workspace)
    try:
        send_email(
            Email(
                to=actor.email,
                subject=f"[Test] {preview['subject']}",
                text_body=preview["text_body"],
                html_body=preview["html_body"],
                tag="campaign-test",
                from_name=identity.from_name,
                from_email=identity.from_email,
                reply_to=identity.reply_to,
            )
        )
    except SendError as error:
        raise EmailProviderError(
            f"Postmark did not take the test email ({error}). Try again in a minute."
        ) from None
    with transaction.atomic():
        record_event(
            actor=actor, verb=CampaignEvent.TEST_SENT, obj=campaign, changes={"to": actor.email}
        )
    return actor.email
