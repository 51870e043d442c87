"""Starting a send: the job behind send, schedule and resume freezes the audience into one
queued message per lead (once) and dispatches the senders."""

from __future__ import annotations

from collections import defaultdict

import phonenumbers
import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from phonenumbers import timezone as number_zones

from crm.models import Message
from crm.services.events import record_event
from outreach.events import CampaignEvent
from outreach.lifecycle import Pending, Transition, drop_pending, keep_pending, move
from outreach.models import Campaign
from outreach.selectors.audience import audience_leads, campaign_audience
from outreach.selectors.sms_sending import segments_per_text
from project.celery import queue_job
from tenants.errors import PlanLimitReached, WorkspaceReadOnly
from tenants.limits import (
    check_emails,
    check_sms_segments,
    check_writable,
    record_emails,
    record_sms_segments,
)
from tenants.schemas import current_workspace

log = structlog.get_logger(__name__)
IN_FLIGHT = (Message.Status.QUEUED, Message.Status.SENDING)
# The jobs (outreach.tasks) the engine queues, by name: the engine never imports its edges.
START_JOB = "outreach.start_campaign"
DELIVER_JOB = "outreach.deliver_campaign"
DELIVER_DIRECT_JOB = "outreach.deliver_direct_messages"
DELIVER_DIRECT_SMS_JOB = "outreach.deliver_direct_sms"
DIRECT_JOBS = {"email": DELIVER_DIRECT_JOB, "sms": DELIVER_DIRECT_SMS_JOB}


@transaction.atomic
def start_campaign(*, campaign_id: int) -> Campaign | None:
    """The job behind send and schedule: a due scheduled campaign starts sending, and a
    sending one gets its audience frozen (once) and its senders. Safe to run twice."""
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        drop_pending(campaign_id)
        return None
    Status = Campaign.Status
    if campaign.status == Status.SCHEDULED:
        if campaign.scheduled_at and campaign.scheduled_at > timezone.now():
            return campaign  # moved later since this job was queued
        move(campaign, Transition.START, actor=None, changes={"scheduled": True})
    if campaign.status == Status.CANCELLED:
        # Restarted by the sweep because a cancelled campaign's last batch never settled.
        after_commit_deliver(campaign.pk, senders=1)
        return campaign
    if campaign.status != Status.SENDING:
        if campaign.status != Status.PAUSED:
            drop_pending(campaign.pk)
        return campaign
    if campaign.frozen_at is None:
        size = freeze_within_allowance(campaign)
        if size is None:
            return campaign
        campaign.audience_size = size
        campaign.frozen_at = timezone.now()
        campaign.save(update_fields=["audience_size", "frozen_at", "updated_at"])
        record_event(
            actor=None,
            verb=CampaignEvent.AUDIENCE_FROZEN,
            obj=campaign,
            changes={"audience_size": campaign.audience_size},
        )
        log.info("campaign_audience_frozen", campaign_id=campaign.pk, size=campaign.audience_size)
    keep_pending(campaign, Pending.ACTIVE)
    after_commit_deliver(campaign.pk)
    return campaign


def freeze_within_allowance(campaign: Campaign) -> int | None:
    """Freeze the audience and count it against this month's emails (an SMS campaign: its
    estimated segments), under the limit's lock; the audience size, or None when the
    workspace is read-only or the audience would cross the limit: then no message is
    written and the campaign is paused before its first email or text, saying why (resume
    it after upgrading). Never stopped halfway."""
    segments = 0
    try:
        check_writable()
        with transaction.atomic():  # a savepoint: a refused freeze leaves no message behind
            if campaign.channel == "sms":
                size, segments = freeze_sms_audience(campaign)
                check_sms_segments(adding=segments)
            else:
                size = freeze_audience(campaign)
                check_emails(adding=size)
    except (PlanLimitReached, WorkspaceReadOnly) as refusal:
        move(
            campaign,
            Transition.HALT,
            actor=None,
            fields={"last_error": f"Not started, nothing was sent: {refusal.message}"},
            changes={"reason": refusal.code},
        )
        log.info("campaign_held_back", campaign_id=campaign.pk, reason=refusal.code)
        return None
    if campaign.channel == "sms":
        record_sms_segments(count=segments)  # put right per text to what Twilio counts
    else:
        record_emails(count=size)
    return size


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
                occurred_at, created_at, to_email, error_code, error, open_count, click_count
            )
            SELECT audience.id, %s, 'email', 'outbound', '', '', 'queued', '',
                now(), now(), audience.email, 0, '', 0, 0
            FROM ({audience_sql}) AS audience(id, email)
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 - the subquery is the ORM's own SQL with its parameters
            [campaign.pk, *params],
        )
    return campaign.messages.count()


def freeze_sms_audience(campaign: Campaign) -> tuple[int, int]:
    """One queued text per textable number of the audience, in one statement, each with its
    number, its estimated segments and the zone its quiet hours are kept in: the lead's own
    zone, else that of the number's region, else the workspace's. Returns the audience size
    and the estimated segments for all of it."""
    per_text = segments_per_text(campaign)
    # One text per number: leads sharing one (a duplicate, a family phone) get a single
    # text, the oldest lead's.
    leads = (
        campaign_audience("sms", campaign.audience)
        .order_by("phone", "id")
        .distinct("phone")
        .values_list("id", "phone", "time_zone")
    )
    audience_sql, params = leads.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO crm_message (
                lead_id, campaign_id, channel, direction, subject, body, status, provider_id,
                occurred_at, created_at, to_email, to_phone, segments, time_zone, error_code,
                error, open_count, click_count
            )
            SELECT audience.id, %s, 'sms', 'outbound', '', '', 'queued', '',
                now(), now(), '', left(audience.phone, 16), %s,
                coalesce(audience.time_zone, ''), 0, '', 0, 0
            FROM ({audience_sql}) AS audience(id, phone, time_zone)
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 - the subquery is the ORM's own SQL with its parameters
            [campaign.pk, per_text, *params],
        )
    zone_numbers(campaign)
    size = campaign.messages.count()
    return size, size * per_text


def zone_numbers(campaign: Campaign) -> None:
    """Give each frozen text whose lead has no zone of its own the zone of its number's
    region: leads grouped by zone, one UPDATE per zone (a few dozen for any audience)."""
    fallback = current_workspace().time_zone or "UTC"
    by_zone: dict[str, list[int]] = defaultdict(list)
    cache: dict[str, str] = {}
    for message_id, phone in campaign.messages.filter(time_zone="").values_list("id", "to_phone"):
        zone = cache.get(phone)
        if zone is None:
            zone = cache[phone] = zone_of_number(phone, fallback)
        by_zone[zone].append(message_id)
    with connection.cursor() as cursor:
        for zone, ids in by_zone.items():
            cursor.execute(
                "UPDATE crm_message SET time_zone = %s WHERE id = ANY(%s::bigint[])", [zone, ids]
            )


def zone_of_number(phone: str, fallback: str) -> str:
    """The zone of the number's region (phonenumbers.timezone); when it names several, the
    workspace's zone if it is one of them, else the first; the workspace's when unknown."""
    try:
        zones = number_zones.time_zones_for_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return fallback
    known = [zone for zone in zones if zone != number_zones.UNKNOWN_TIMEZONE]
    if not known:
        return fallback
    if fallback in known:
        return fallback
    return known[0]


def cancel_queued(campaign: Campaign) -> int:
    """Mark the campaign's messages not yet claimed as cancelled; returns how many."""
    return campaign.messages.filter(status=Message.Status.QUEUED).update(
        status=Message.Status.CANCELLED, error="Not sent: the campaign was cancelled."
    )


def has_in_flight(campaign: Campaign) -> bool:
    """A batch is claimed and not yet settled (or reconciled)."""
    return campaign.messages.filter(status=Message.Status.SENDING).exists()


def has_unsettled(campaign: Campaign) -> bool:
    """Queued or claimed messages remain."""
    return campaign.messages.filter(status__in=IN_FLIGHT).exists()


def after_commit_start(campaign_id: int) -> None:
    transaction.on_commit(lambda: queue_job(START_JOB, campaign_id))


def after_commit_deliver(campaign_id: int, *, senders: int | None = None) -> None:
    count = senders or max(1, settings.CRM_SEND_PARALLEL)

    def dispatch() -> None:
        for _ in range(count):
            queue_job(DELIVER_JOB, campaign_id)

    transaction.on_commit(dispatch)


def after_commit_deliver_direct(channel: str = "email") -> None:
    """Send the workspace's queued one-off messages of a channel once this commits."""
    job = DIRECT_JOBS[channel]
    transaction.on_commit(lambda: queue_job(job))
