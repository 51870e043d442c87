"""The campaign pages: server-rendered, with htmx for the live audience count and for the
progress that refreshes itself while a campaign sends. Each view reads its input, calls the
services and selectors the API calls, and renders; a DomainError becomes a page that says
what happened, with its status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from crm.models import Message
from crm.selectors.pagination import paginate
from crm.selectors.records import get_record
from mail.gateway import delivers_to_outbox
from outreach import lifecycle
from outreach.errors import CampaignNotEditable
from outreach.forms import (
    AudienceForm,
    CampaignForm,
    ScheduleForm,
    TestSmsForm,
    campaign_error_field,
    campaign_initial,
)
from outreach.models import Campaign
from outreach.pages.campaign_composer import (
    audience_of,
    count_audience,
    sms_composer,
    sms_merge_fields,
)
from outreach.pages.common import HtmxHttpRequest, require_manager, workspace_page
from outreach.selectors.audience import campaign_audience
from outreach.selectors.campaigns import (
    campaign_messages,
    campaign_stats,
    campaigns,
    message_counts,
    render_preview,
)
from outreach.selectors.email_settings import postal_address_missing
from outreach.selectors.merge_fields import merge_fields
from outreach.selectors.sms_audience_summary import sms_audience_summary
from outreach.selectors.sms_preview import preview_sms
from outreach.selectors.sms_sending import waiting_for_quiet_hours
from outreach.services.campaign_sending import (
    cancel_campaign,
    pause_campaign,
    resume_campaign,
    schedule_campaign,
    send_campaign,
    send_campaign_test,
)
from outreach.services.campaigns import (
    create_campaign,
    delete_campaign,
    duplicate_campaign,
    update_campaign,
)
from outreach.services.sms_test_send import send_campaign_test_sms
from project.content_security import shows_email_html
from project.errors import DomainError, InvalidInput
from project.pages import add_domain_errors

LIST_PAGE_SIZE = 50
MESSAGES_SHOWN = 50
RECIPIENTS_PAGE_SIZE = 50
# The progress refreshes itself only while something is about to change by itself.
# What a campaign message can be; the filter on the detail page offers these.
CAMPAIGN_MESSAGE_STATUSES = [
    (status.value, status.label)
    for status in Message.Status
    if status not in (Message.Status.RECEIVED,)
]
# ...and what a text can be (never opened, clicked or bounced).
SMS_STATUSES = frozenset(
    {
        Message.Status.QUEUED,
        Message.Status.SENDING,
        Message.Status.SENT,
        Message.Status.DELIVERED,
        Message.Status.FAILED,
        Message.Status.SUPPRESSED,
        Message.Status.CANCELLED,
    }
)


def _audience_now(campaign: Campaign) -> tuple[int, bool]:
    """The audience's size and whether it is a live count (not frozen yet) or final."""
    if campaign.frozen_at is None and campaign.status != Campaign.Status.CANCELLED:
        return campaign_audience(campaign.channel, campaign.audience).count(), True
    return campaign.audience_size, False


# --- List, new, edit ------------------------------------------------------------------------


@workspace_page
@require_GET
def campaign_list(request: HtmxHttpRequest) -> HttpResponse:
    page = paginate(
        campaigns(),
        sort="-id",
        limit=LIST_PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
    )
    rows = []
    for campaign in page.items:
        size, live = _audience_now(campaign)
        rows.append({"campaign": campaign, "audience": size, "live": live})
    return render(
        request,
        "outreach/campaigns/list.html",
        {
            "rows": rows,
            "next": page.next,
            "first_page": not request.GET.get("cursor"),
            "can_manage": can(signed_in_user(request), Action.MANAGE_CAMPAIGNS),
        },
    )


def _form_page(request: HttpRequest, form: CampaignForm, campaign: Campaign | None) -> HttpResponse:
    values = form.data if form.is_bound else form.initial
    count_form = AudienceForm(values)
    template = str(values.get("body_template") or "")
    count, problems, summary = count_audience(
        count_form, channel=form.chosen_channel, template=template
    )
    context: dict[str, Any] = {
        "form": form,
        "campaign": campaign,
        "channel": form.chosen_channel,
        "audience_count": count,
        "audience_problems": problems,
        "sms_summary": summary,
        "kept_criteria": form.kept_summary(),
        "merge_fields": sms_merge_fields() if form.is_sms else merge_fields(),
    }
    if form.is_sms:
        context.update(sms_composer(template, audience_of(AudienceForm(values))))
    return render(
        request, "outreach/campaigns/form.html", context, status=422 if form.errors else 200
    )


def _add_campaign_errors(form: CampaignForm, error: InvalidInput) -> None:
    fields = {detail["field"]: campaign_error_field(detail["field"]) for detail in error.details}
    add_domain_errors(form, error.details, fields)
    if not error.details:
        form.add_error(None, error.message)


@workspace_page
@require_http_methods(["GET", "POST"])
def campaign_new(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    form = CampaignForm(
        request.POST if request.method == "POST" else None,
        channel=request.GET.get("channel", "email"),
    )
    if form.is_bound and form.is_valid():
        try:
            campaign = create_campaign(actor=actor, **form.campaign_values())
        except InvalidInput as error:
            _add_campaign_errors(form, error)
        else:
            messages.success(
                request, "Draft saved. Check the preview, send yourself a test, then send it."
            )
            return redirect("campaign_detail", campaign.pk)
    return _form_page(request, form, None)


@workspace_page
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HtmxHttpRequest, campaign_id: int) -> HttpResponse:
    actor = signed_in_user(request)
    campaign = get_record(Campaign, campaign_id)
    require_manager(actor)
    if not lifecycle.can_edit(campaign):
        raise CampaignNotEditable(
            f"This campaign is {campaign.get_status_display().lower()}; only drafts can be "
            "edited. Cancel it, or copy its text into a new campaign."
        )
    if request.method == "GET":
        # A draft may still change channel (?channel=sms); once it leaves draft it cannot.
        channel = request.GET.get("channel") or campaign.channel
        initial = {**campaign_initial(campaign), "channel": channel}
        return _form_page(request, CampaignForm(initial=initial, channel=channel), campaign)
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            update_campaign(actor=actor, campaign_id=campaign.pk, changes=form.campaign_values())
        except InvalidInput as error:
            _add_campaign_errors(form, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect("campaign_detail", campaign.pk)
    return _form_page(request, form, campaign)


# --- Detail, progress, actions ------------------------------------------------------------------


def _live_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    size, live_count = _audience_now(campaign)
    summary = None
    if campaign.channel == "sms" and live_count:
        summary = sms_audience_summary(campaign.audience, campaign.body_template)
    quiet_wait = None
    if campaign.channel == "sms" and campaign.status == Campaign.Status.SENDING:
        quiet_wait = waiting_for_quiet_hours(campaign)
    return {
        "sms_summary": summary,
        "quiet_wait": quiet_wait,
        "campaign": campaign,
        "stats": campaign_stats(campaign),
        "live": lifecycle.is_live(campaign),
        "allowed": lifecycle.allowed_actions(campaign),
        "audience": size,
        "audience_is_live": live_count,
        "can_manage": can(signed_in_user(request), Action.MANAGE_CAMPAIGNS),
        "schedule_form": ScheduleForm(),
        "to_outbox": delivers_to_outbox(),
    }


def _statuses(campaign: Campaign) -> list[tuple[str, str]]:
    """What the campaign's messages can be: a text is never opened, clicked or bounced."""
    if campaign.channel == "sms":
        return [
            (value, label) for value, label in CAMPAIGN_MESSAGE_STATUSES if value in SMS_STATUSES
        ]
    return CAMPAIGN_MESSAGE_STATUSES


def _messages_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """The first messages of the campaign, filtered by `?status=` when it names one."""
    message_status = request.GET.get("status", "")
    if message_status not in Message.Status.values:
        message_status = ""
    shown = campaign_messages(campaign, status=message_status or None).order_by("id")
    return {
        "message_status": message_status,
        "message_statuses": _statuses(campaign),
        "campaign_messages": shown[:MESSAGES_SHOWN],
    }


def _detail_page(
    request: HttpRequest,
    campaign_id: int,
    *,
    error: DomainError | None = None,
    schedule_form: ScheduleForm | None = None,
    test_sms_form: TestSmsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    campaign = get_record(Campaign, campaign_id)
    preview: Any
    try:
        if campaign.channel == "sms":
            preview = preview_sms(campaign.body_template, campaign.audience)
        else:
            preview = render_preview(campaign)
        preview_error = None
    except DomainError as problem:
        preview, preview_error = None, problem
    context = {
        **_live_context(request, campaign),
        **_messages_context(request, campaign),
        "preview": preview,
        "preview_error": preview_error,
        "action_error": error,
        "postal_address_missing": campaign.channel == "email" and postal_address_missing(),
        "test_sms_form": test_sms_form or TestSmsForm(),
    }
    if schedule_form is not None:
        context["schedule_form"] = schedule_form
    return render(request, "outreach/campaigns/detail.html", context, status=status)


@shows_email_html
@workspace_page
@require_GET
def campaign_detail(request: HtmxHttpRequest, campaign_id: int) -> HttpResponse:
    return _detail_page(request, campaign_id)


@workspace_page
@require_GET
def campaign_progress(request: HtmxHttpRequest, campaign_id: int) -> HttpResponse:
    """The part of the detail page that changes while a campaign sends (polled every 2 s),
    with the messages table; when the status moved on, the badge and the buttons too."""
    campaign = get_record(Campaign, campaign_id)
    context = {
        **_live_context(request, campaign),
        **_messages_context(request, campaign),
        "status_changed": request.GET.get("seen") != campaign.status,
    }
    return render(request, "outreach/campaigns/_progress.html", context)


def _when(campaign: Campaign) -> str:
    scheduled = campaign.scheduled_at or timezone.now()
    return date_format(timezone.localtime(scheduled), "j M Y, H:i T")


STATE_ACTIONS: dict[str, tuple[Callable[..., Campaign], Callable[[Campaign], str]]] = {
    "send": (
        send_campaign,
        lambda c: f"“{c.name}” is on its way. The progress below follows it as it goes out.",
    ),
    "pause": (
        pause_campaign,
        lambda c: "Paused. The batch already on its way finishes; resume to send the rest.",
    ),
    "resume": (resume_campaign, lambda c: "Sending again, from where it stopped."),
    "cancel": (
        cancel_campaign,
        lambda c: "Cancelled. Email that was not sent yet will never go out.",
    ),
}


@shows_email_html
@workspace_page
@require_POST
def campaign_action(request: HtmxHttpRequest, campaign_id: int, action: str) -> HttpResponse:
    """The buttons of the detail page. A refusal shows the page again with the reason and
    the refusal's status (403, 409, 422...)."""
    if action not in (*STATE_ACTIONS, "schedule", "test", "test-sms", "delete"):
        raise Http404("No such campaign action.")
    actor = signed_in_user(request)
    schedule_form = ScheduleForm(request.POST) if action == "schedule" else None
    test_sms_form = TestSmsForm(request.POST) if action == "test-sms" else None
    try:
        if action in STATE_ACTIONS:
            change, success = STATE_ACTIONS[action]
            messages.success(request, success(change(actor=actor, campaign_id=campaign_id)))
        elif schedule_form is not None:
            if not schedule_form.is_valid():
                return _detail_page(request, campaign_id, schedule_form=schedule_form, status=422)
            campaign = schedule_campaign(
                actor=actor, campaign_id=campaign_id, scheduled_at=schedule_form.when()
            )
            messages.success(request, f"Scheduled for {_when(campaign)}.")
        elif test_sms_form is not None:
            number = send_campaign_test_sms(
                actor=actor, campaign_id=campaign_id, to=request.POST.get("to", "")
            )
            messages.success(request, f"Test text sent to {number}. It starts with [Test].")
        elif action == "test":
            address = send_campaign_test(actor=actor, campaign_id=campaign_id)
            where = " (in the development outbox)" if delivers_to_outbox() else ""
            messages.success(request, f"Test email sent to {address}{where}. It is marked [Test].")
        else:
            name = get_record(Campaign, campaign_id).name
            delete_campaign(actor=actor, campaign_id=campaign_id)
            messages.success(request, f"“{name}” is deleted.")
            return redirect("campaign_list")
    except DomainError as error:
        for form in (schedule_form, test_sms_form):
            if form is not None and isinstance(error, InvalidInput):
                add_domain_errors(form, error.details)
        return _detail_page(
            request,
            campaign_id,
            error=error,
            schedule_form=schedule_form,
            test_sms_form=test_sms_form,
            status=error.status,
        )
    return redirect("campaign_detail", campaign_id)


@workspace_page
@require_POST
def campaign_duplicate(request: HtmxHttpRequest, campaign_id: int) -> HttpResponse:
    """A new draft from this campaign; its edit form opens, since a copy is made to change."""
    actor = signed_in_user(request)
    require_manager(actor)
    try:
        copy = duplicate_campaign(actor=actor, campaign_id=campaign_id)
    except InvalidInput as error:
        return _detail_page(request, campaign_id, error=error, status=error.status)
    messages.success(request, f"“{copy.name}” is a new draft. Change what you need, then save.")
    return redirect("campaign_edit", copy.pk)


def _status_filter(request: HttpRequest) -> str:
    chosen = request.GET.get("status", "")
    return chosen if chosen in dict(CAMPAIGN_MESSAGE_STATUSES) else ""


@workspace_page
@require_GET
def campaign_recipients(request: HtmxHttpRequest, campaign_id: int) -> HttpResponse:
    """Every recipient of the campaign with what became of the email, a page at a time
    (keyset: as fast on the last page as the first), filtered by status, with the count of
    each status."""
    campaign = get_record(Campaign, campaign_id)
    chosen = _status_filter(request)
    cursor = request.GET.get("cursor") or None
    page = paginate(
        campaign_messages(campaign, status=chosen or None).select_related("lead"),
        sort="id",
        limit=RECIPIENTS_PAGE_SIZE,
        cursor=cursor,
    )
    counts = message_counts(campaign)
    statuses = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in _statuses(campaign)
    ]
    return render(
        request,
        "outreach/campaigns/recipients.html",
        {
            "campaign": campaign,
            "recipients": page.items,
            "next": page.next,
            "first_page": cursor is None,
            "message_status": chosen,
            "message_status_label": dict(CAMPAIGN_MESSAGE_STATUSES).get(chosen, ""),
            "page_size": RECIPIENTS_PAGE_SIZE,
            "statuses": statuses,
            "total": sum(counts.values()),
            "shown_total": counts.get(chosen, 0) if chosen else sum(counts.values()),
        },
    )
