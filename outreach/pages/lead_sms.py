"""The lead page's SMS conversation: the texts both ways as chat bubbles, the lead's SMS
consent, and a reply box (crm may not import outreach or sms, so the lead page embeds these
by htmx, as it does the one-off email; each also works as a page of its own without
JavaScript).

A reply goes through outreach.services.lead_sms.send_lead_sms, as POST /leads/{id}/sms: queued,
then sent once in the background. When the lead cannot be texted the box is disabled and
says why and what to do next. The thread reloads on `lead-changed` and every half minute,
so a text the lead sends shows up without a reload; the reply box is its own fragment, so
that reload never wipes what a member is typing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from crm.models import Lead
from crm.selectors.leads import get_lead
from outreach.errors import RecipientNotTextable, SmsNotConnected
from outreach.selectors.lead_sms import sms_consent_state, sms_conversation
from outreach.services.lead_sms import MAX_BODY, send_lead_sms, textable_reason
from outreach.sms_segments import count_segments
from project.errors import InvalidInput
from project.pages import add_domain_errors, is_htmx, page, plan_refusal
from sms.selectors.account import sms_account
from tenants.errors import PlanLimitReached, WorkspaceReadOnly


def _back_to_lead(request: HttpRequest) -> tuple[str, str] | None:
    return ("/leads/", "Back to leads")


lead_page = page(back=_back_to_lead)
CHANGED = "lead-changed"  # the lead page reloads its timeline (and this thread) on it
NOT_CONNECTED = (
    "No Twilio account is connected, so this workspace cannot send texts. "
    "An admin connects one in Settings → SMS."
)
NO_ROLE = "Your role cannot send texts; ask an admin of this workspace."


class LeadSmsForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a text…"}),
        help_text='Merge fields work here: {{ lead.first_name | default: "there" }}.',
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the lead page also holds the log form's and the email's "body".
        kwargs.setdefault("auto_id", "lead-sms-%s")
        super().__init__(*args, **kwargs)


def why_not_textable(request: HttpRequest, lead: Lead) -> str:
    """Why the reply box is disabled for this member and lead ("" when it is not)."""
    if not can(signed_in_user(request), Action.MANAGE_MESSAGES):
        return NO_ROLE
    if sms_account() is None:
        return NOT_CONNECTED
    return textable_reason(lead)


def _counter(text: str) -> dict[str, Any]:
    count = count_segments(text)
    return {
        "count": count,
        "too_long": count.characters > MAX_BODY,
        "max_body": MAX_BODY,
    }


def _compose_context(
    request: HttpRequest, lead: Lead, form: LeadSmsForm, **extra: Any
) -> dict[str, Any]:
    text = str(form.data.get("body", "")) if form.is_bound else ""
    return {
        "lead": lead,
        "form": form,
        "blocked": why_not_textable(request, lead),
        **_counter(text),
        **extra,
    }


def _panel_context(request: HttpRequest, lead: Lead, form: LeadSmsForm) -> dict[str, Any]:
    return {
        **_compose_context(request, lead, form),
        "bubbles": sms_conversation(lead),
        "consent": sms_consent_state(lead),
    }


@lead_page
@require_http_methods(["GET", "POST"])
def lead_sms(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The panel (GET), or a reply sent from it (POST): the reply box comes back, cleared
    and saying it is queued, and `lead-changed` reloads the thread and the timeline."""
    lead = get_lead(lead_id)
    if request.method == "GET":
        template = "_panel.html" if is_htmx(request) else "page.html"
        context = _panel_context(request, lead, LeadSmsForm())
        return render(request, f"outreach/lead_sms/{template}", context)
    form = LeadSmsForm(request.POST)
    refusal: str = ""
    status = 0
    if form.is_valid():
        try:
            message = send_lead_sms(
                actor=signed_in_user(request), lead_id=lead.pk, body=form.cleaned_data["body"]
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except (RecipientNotTextable, SmsNotConnected) as error:
            refusal, status = error.message, error.status
        except (PlanLimitReached, WorkspaceReadOnly) as error:
            refusal, status = plan_refusal(error), error.status
        else:
            messages.success(request, f"Text to {message.to_phone} queued; it goes out shortly.")
            if not is_htmx(request):
                return redirect("lead_sms", lead.pk)
            response = render(
                request,
                "outreach/lead_sms/_compose.html",
                _compose_context(request, lead, LeadSmsForm(), sent=message),
            )
            response.write(render_to_string("crm/lead/_toasts.html", request=request))
            response["HX-Trigger"] = CHANGED
            return response
    if is_htmx(request):  # app.js swaps a form's 422 (and 402) in; a 409 it would drop
        status = status if status == 402 else 422
        context = _compose_context(request, lead, form, refusal=refusal)
        return render(request, "outreach/lead_sms/_compose.html", context, status=status)
    context = {**_panel_context(request, lead, form), "refusal": refusal}
    return render(request, "outreach/lead_sms/page.html", context, status=status or 422)


@lead_page
@require_GET
def lead_sms_thread(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The conversation alone, for the panel's reload."""
    lead = get_lead(lead_id)
    context = {"lead": lead, "bubbles": sms_conversation(lead), "consent": sms_consent_state(lead)}
    return render(request, "outreach/lead_sms/_thread.html", context)


@lead_page
@require_POST
def lead_sms_count(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The reply box's live count of characters and segments (outreach.sms_segments)."""
    get_lead(lead_id)  # another workspace's lead, or none: 404 like the panel
    return render(request, "outreach/lead_sms/_count.html", _counter(request.POST.get("body", "")))
