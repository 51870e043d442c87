"""The campaign editor's live parts: the audience count under the criteria (for SMS, who
can be texted, why the others cannot and the segments against the plan) and the SMS
composer's count and preview, each rendered by the server on load and refreshed by htmx."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from outreach.forms import AudienceForm
from outreach.pages.common import HtmxHttpRequest, workspace_page
from outreach.selectors.audience import audience_leads, clean_audience
from outreach.selectors.merge_fields import MergeFieldGroup, merge_fields
from outreach.selectors.sms_audience_summary import SmsAudienceSummary, sms_audience_summary
from outreach.selectors.sms_preview import preview_sms
from outreach.sms_segments import count_segments, room_left
from project.errors import InvalidInput
from sms.compose import OPT_OUT_LINE


def count_audience(
    form: AudienceForm, *, channel: str = "email", template: str = ""
) -> tuple[int | None, list[str], SmsAudienceSummary | None]:
    """How many leads the criteria reach now (for SMS, with who cannot be texted and the
    segments it takes), or what is wrong with them."""
    if not form.is_valid():
        return (
            None,
            [
                f"{form.fields[name].label if name in form.fields else 'Audience'}: {errors[0]}"
                for name, errors in form.errors.items()
            ],
            None,
        )
    try:
        audience = clean_audience(form.audience())
    except InvalidInput as error:
        return None, [detail["message"] for detail in error.details] or [error.message], None
    if channel == "sms":
        summary = sms_audience_summary(audience, template)
        return summary.textable, [], summary
    return audience_leads(audience).count(), [], None


def sms_composer(template: str, audience: dict[str, Any] | None) -> dict[str, Any]:
    """The composer's count of the text as typed and its preview as sent (rendered for the
    audience's first lead or a sample one, with the opt-out line)."""
    typed = template.replace("\r\n", "\n")
    try:
        preview, preview_error = preview_sms(typed, audience), None
    except InvalidInput as error:
        preview = None
        preview_error = error.details[0]["message"] if error.details else error.message
    return {
        "typed_count": count_segments(typed),
        "typed_left": room_left(typed),
        "sms_preview": preview,
        "sms_preview_error": preview_error,
        "opt_out_line": OPT_OUT_LINE,
    }


def sms_merge_fields() -> list[MergeFieldGroup]:
    """The picker for a text: no unsubscribe link (STOP is how a lead opts out) and no
    postal address (a text does not carry one)."""
    groups = []
    for group in merge_fields():
        kept = [
            field
            for field in group.fields
            if "unsubscribe_url" not in field.expression
            and "postal_address" not in field.expression
        ]
        if kept:
            groups.append(MergeFieldGroup(group.title, kept))
    return groups


def audience_of(form: AudienceForm) -> dict[str, Any] | None:
    if not form.is_valid():
        return None
    try:
        return clean_audience(form.audience())
    except InvalidInput:
        return None


@workspace_page
@require_GET
def audience_count(request: HtmxHttpRequest) -> HttpResponse:
    """The live count under the audience criteria while they are being edited (for an SMS
    campaign, who can be texted and the segments it takes)."""
    channel = "sms" if request.GET.get("channel") == "sms" else "email"
    count, problems, summary = count_audience(
        AudienceForm(request.GET), channel=channel, template=request.GET.get("body_template", "")
    )
    return render(
        request,
        "outreach/campaigns/_audience_count.html",
        {
            "audience_count": count,
            "audience_problems": problems,
            "sms_summary": summary,
            "channel": channel,
        },
        status=422 if problems else 200,
    )


@workspace_page
@require_GET
def sms_preview(request: HtmxHttpRequest) -> HttpResponse:
    """The SMS composer's preview while the text is typed: the count of the text as typed,
    the text as sent for a lead, and (out of band) the audience's segment total."""
    form = AudienceForm(request.GET)
    template = request.GET.get("body_template", "")
    count, problems, summary = count_audience(form, channel="sms", template=template)
    return render(
        request,
        "outreach/campaigns/_sms_preview.html",
        {
            **sms_composer(template, audience_of(AudienceForm(request.GET))),
            "audience_count": count,
            "audience_problems": problems,
            "sms_summary": summary,
            "channel": "sms",
            "oob": True,
        },
    )
