"""A campaign's way out: send now, schedule, pause, resume, cancel, and the job that starts
it by freezing its audience into one queued message per lead.

Every change here is one transaction that also writes the campaign's event and its entry in
the public PendingSend list, so the periodic sweep (crm.tasks.sweep_pending_sends) always
knows which sends are due or stalled, whatever happened to the workers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.mail_templates import check_renders, compile_email
from crm.models import Campaign, EmailSettings, Message
from crm.selectors.audience import audience_leads
from crm.services.events import record_event
from project.errors import Conflict, DomainError, InvalidInput, NotFound, field_error
from project.mail import Email, SendError, send_email
from tenants.models import PendingSend
from tenants.schemas import current_workspace

log = structlog.get_logger(__name__)
MAX_SCHEDULE_AHEAD = timedelta(days=365)
LONG_AGO = timedelta(days=3650)


class CampaignNotReady(Conflict):
    code = "campaign_not_ready"


class CampaignStateConflict(Conflict):
    code = "invalid_campaign_state"


def _locked(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    return campaign


def _expect(campaign: Campaign, allowed: tuple[str, ...], doing: str) -> None:
    if campaign.status not in allowed:
        raise CampaignStateConflict(
            f"A {campaign.status} campaign cannot be {doing}; "
            f"only a {' or '.join(allowed)} one can."
        )


def check_ready(campaign: Campaign, *, need_audience: bool) -> None:
    """Everything a campaign needs before it may go out; raises with what to do next."""
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
    email_settings = EmailSettings.objects.filter(pk=1).first()
    if email_settings is None or not email_settings.postal_address.strip():
        raise CampaignNotReady(
            "Add your postal address first, in Email settings (or PATCH /api/v1/email/settings): "
            "the law asks for it in every marketing email, and every campaign email carries it."
        )
    if need_audience and not audience_leads(campaign.audience).exists():
        raise CampaignNotReady(
            "No lead matches this audience (unsubscribed and bounced leads never do); "
            "widen the audience first."
        )


def _set_pending(campaign_id: int, *, state: str, due_at: datetime, heartbeat_at: datetime) -> None:
    PendingSend.objects.update_or_create(
        workspace_id=current_workspace().pk,
        campaign_id=campaign_id,
        defaults={"state": state, "due_at": due_at, "heartbeat_at": heartbeat_at},
    )


def _drop_pending(campaign_id: int) -> None:
    PendingSend.objects.filter(
        workspace_id=current_workspace().pk, campaign_id=campaign_id
    ).delete()


@transaction.atomic
def send_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Send a draft (or a scheduled campaign) now. The audience is frozen and the email goes
    out in the background; raises 409 when it is not ready or not in a state to be sent."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    _expect(campaign, (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED), "sent")
    check_ready(campaign, need_audience=True)
    now = timezone.now()
    campaign.status = Campaign.Status.SENDING
    campaign.started_at = now
    campaign.last_error = ""
    campaign.save(update_fields=["status", "started_at", "last_error", "updated_at"])
    _set_pending(campaign.pk, state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now)
    record_event(actor=actor, verb="send_started", obj=campaign)
    _after_commit_start(campaign.pk)
    return campaign


@transaction.atomic
def schedule_campaign(*, actor: User | None, campaign_id: int, scheduled_at: datetime) -> Campaign:
    """Send a draft at a later time (or move a scheduled one); the beat starts it when due."""
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
    _expect(campaign, (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED), "scheduled")
    check_ready(campaign, need_audience=False)
    before = campaign.scheduled_at
    campaign.status = Campaign.Status.SCHEDULED
    campaign.scheduled_at = scheduled_at
    campaign.save(update_fields=["status", "scheduled_at", "updated_at"])
    _set_pending(
        campaign.pk,
        state=PendingSend.State.SCHEDULED,
        due_at=scheduled_at,
        heartbeat_at=now - LONG_AGO,
    )
    record_event(
        actor=actor,
        verb="scheduled",
        obj=campaign,
        changes={
            "scheduled_at": {
                "before": before.isoformat() if before else None,
                "after": scheduled_at.isoformat(),
            }
        },
    )
    return campaign


@transaction.atomic
def pause_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Stop taking new batches; the batch in flight finishes. Resume picks up the rest."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    _expect(campaign, (Campaign.Status.SENDING,), "paused")
    campaign.status = Campaign.Status.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    PendingSend.objects.filter(workspace_id=current_workspace().pk, campaign_id=campaign.pk).update(
        state=PendingSend.State.PAUSED
    )
    record_event(actor=actor, verb="paused", obj=campaign)
    return campaign


@transaction.atomic
def resume_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Carry on sending a paused campaign where it stopped; nobody gets it twice."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    _expect(campaign, (Campaign.Status.PAUSED,), "resumed")
    now = timezone.now()
    campaign.status = Campaign.Status.SENDING
    campaign.last_error = ""
    campaign.save(update_fields=["status", "last_error", "updated_at"])
    _set_pending(campaign.pk, state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now)
    record_event(actor=actor, verb="resumed", obj=campaign)
    _after_commit_start(campaign.pk)
    return campaign


@transaction.atomic
def cancel_campaign(*, actor: User | None, campaign_id: int) -> Campaign:
    """Stop for good: messages not yet sent are marked cancelled and never go out."""
    if actor is not None:
        require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = _locked(campaign_id)
    _expect(
        campaign,
        (Campaign.Status.SCHEDULED, Campaign.Status.SENDING, Campaign.Status.PAUSED),
        "cancelled",
    )
    before = campaign.status
    campaign.status = Campaign.Status.CANCELLED
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    dropped = campaign.messages.filter(status=Message.Status.QUEUED).update(
        status=Message.Status.CANCELLED, error="Not sent: the campaign was cancelled."
    )
    if campaign.messages.filter(status=Message.Status.SENDING).exists():
        # A batch is in flight: a sender settles it (or reconciles it) and then clears this.
        now = timezone.now()
        _set_pending(campaign.pk, state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now)
    else:
        _drop_pending(campaign.pk)
    record_event(
        actor=actor,
        verb="cancelled",
        obj=campaign,
        changes={"status": {"before": before, "after": "cancelled"}, "not_sent": dropped},
    )
    return campaign


@transaction.atomic
def start_campaign(*, campaign_id: int) -> Campaign | None:
    """The job behind send and schedule: a due scheduled campaign starts sending, and a
    sending one gets its audience frozen (once) and its senders. Safe to run twice."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        _drop_pending(campaign_id)
        return None
    now = timezone.now()
    if campaign.status == Campaign.Status.SCHEDULED:
        if campaign.scheduled_at and campaign.scheduled_at > now:
            return campaign  # moved later since this job was queued
        campaign.status = Campaign.Status.SENDING
        campaign.started_at = now
        campaign.save(update_fields=["status", "started_at", "updated_at"])
        record_event(actor=None, verb="send_started", obj=campaign, changes={"scheduled": True})
    if campaign.status == Campaign.Status.CANCELLED:
        # Restarted by the sweep because a cancelled campaign's last batch never settled.
        _after_commit_deliver(campaign.pk, senders=1)
        return campaign
    if campaign.status != Campaign.Status.SENDING:
        if campaign.status != Campaign.Status.PAUSED:
            _drop_pending(campaign.pk)
        return campaign
    if campaign.frozen_at is None:
        campaign.audience_size = freeze_audience(campaign)
        campaign.frozen_at = timezone.now()
        campaign.save(update_fields=["audience_size", "frozen_at", "updated_at"])
        record_event(
            actor=None,
            verb="audience_frozen",
            obj=campaign,
            changes={"audience_size": campaign.audience_size},
        )
        log.info("campaign_audience_frozen", campaign_id=campaign.pk, size=campaign.audience_size)
    _set_pending(campaign.pk, state=PendingSend.State.ACTIVE, due_at=now, heartbeat_at=now)
    _after_commit_deliver(campaign.pk)
    return campaign


def freeze_audience(campaign: Campaign) -> int:
    """One queued message per lead of the audience as it is now, in one statement; the
    unique (campaign, lead) constraint makes a second run add nobody."""
    leads = audience_leads(campaign.audience).order_by("id").values_list("id", "email")
    audience_sql, params = leads.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO crm_message (
                lead_id, campaign_id, channel, direction, subject, body, status, provider_id,
                occurred_at, created_at, to_email, attempts, error_code, error,
                open_count, click_count
            )
            SELECT audience.id, %s, 'email', 'outbound', '', '', 'queued', '',
                now(), now(), audience.email, 0, 0, '', 0, 0
            FROM ({audience_sql}) AS audience(id, email)
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 - the subquery is the ORM's own SQL with its parameters
            [campaign.pk, *params],
        )
    return campaign.messages.count()


def _after_commit_start(campaign_id: int) -> None:
    from crm.tasks import start_campaign_job

    transaction.on_commit(lambda: start_campaign_job.delay(campaign_id))


def _after_commit_deliver(campaign_id: int, *, senders: int | None = None) -> None:
    from crm.tasks import deliver_campaign_job

    count = senders or max(1, settings.CRM_SEND_PARALLEL)

    def dispatch() -> None:
        for _ in range(count):
            deliver_campaign_job.delay(campaign_id)

    transaction.on_commit(dispatch)


class EmailProviderError(DomainError):
    code = "email_provider_error"
    status = 502
    default_message = "The email provider did not take the email; try again in a minute."


def send_campaign_test(*, actor: User, campaign_id: int, lead_id: int | None = None) -> str:
    """Send the campaign as `lead_id` (or the audience's first lead) would get it, to the
    person asking, marked [Test]; returns the address. Nothing is counted or logged on leads."""
    from crm.selectors.campaigns import render_preview
    from crm.services.outgoing import sender_of

    require(actor, Action.MANAGE_CAMPAIGNS)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound("No campaign with this id.")
    preview = render_preview(campaign, lead_id=lead_id)
    workspace = current_workspace()
    _, reply_to = sender_of(workspace)
    try:
        send_email(
            Email(
                to=actor.email,
                subject=f"[Test] {preview['subject']}",
                text_body=preview["text_body"],
                html_body=preview["html_body"],
                tag="campaign-test",
                from_name=workspace.name,
                reply_to=reply_to,
            )
        )
    except SendError as error:
        raise EmailProviderError(
            f"Postmark did not take the test email ({error}). Try again in a minute."
        ) from None
    with transaction.atomic():
        record_event(actor=actor, verb="test_sent", obj=campaign, changes={"to": actor.email})
    return actor.email
