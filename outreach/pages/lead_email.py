"""A one-off email to a lead, and whether the lead gets email at all: the parts of a lead's
page that are outreach's (crm may not import outreach, so the lead page embeds these by
htmx; each also works as a page of its own without JavaScript).

Sending goes through outreach.services.lead_email.send_lead_email, as the REST API's POST
/leads/{id}/email: queued, then sent once in the background; the message is on the lead's
timeline from the moment it is queued."""

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
from outreach.errors import RecipientSuppressed
from outreach.selectors.subscription import subscription_state
from outreach.services.lead_email import send_lead_email
from outreach.services.subscriptions import add_suppression
from project.errors import InvalidInput
from project.pages import add_domain_errors, is_htmx, page, plan_refusal
from tenants.errors import PlanLimitReached, WorkspaceReadOnly


def _back_to_lead(request: HttpRequest) -> tuple[str, str] | None:
    return ("/leads/", "Back to leads")


lead_page = page(back=_back_to_lead)
CHANGED = "lead-changed"  # the lead page reloads its timeline on it


class LeadEmailForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=255)
    body = forms.CharField(
        label="Message",
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text='Merge fields work here: {{ lead.first_name | default: "there" }}.',
    )


def _form_context(
    request: HttpRequest, lead: Lead, form: LeadEmailForm, **extra: Any
) -> dict[str, Any]:
    return {
        "lead": lead,
        "form": form,
        "state": subscription_state(lead),
        "can_suppress": can(signed_in_user(request), Action.MANAGE_CAMPAIGNS),
        **extra,
    }


@lead_page
@require_http_methods(["GET", "POST"])
def lead_email(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = get_lead(lead_id)
    partial = "outreach/lead_email/_form.html"
    full = "outreach/lead_email/page.html"
    if request.method == "GET":
        context = _form_context(request, lead, LeadEmailForm())
        return render(request, partial if is_htmx(request) else full, context)
    form = LeadEmailForm(request.POST)
    refusal: str = ""
    status = 0
    if form.is_valid():
        try:
            message = send_lead_email(
                actor=signed_in_user(request),
                lead_id=lead.pk,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except RecipientSuppressed as error:
            refusal = error.message
        except (PlanLimitReached, WorkspaceReadOnly) as error:
            refusal, status = plan_refusal(error), error.status
        else:
            messages.success(
                request, f"Email to {message.to_email} queued; it goes out in a moment."
            )
            if not is_htmx(request):
                return redirect("lead_detail", lead.pk)
            response = render(
                request, partial, _form_context(request, lead, LeadEmailForm(), sent=message)
            )
            response.write(render_to_string("crm/lead/_toasts.html", request=request))
            response["HX-Trigger"] = CHANGED
            return response
    status = status or (422 if is_htmx(request) or not refusal else 409)
    context = _form_context(request, lead, form, refusal=refusal)
    return render(request, partial if is_htmx(request) else full, context, status=status)


@lead_page
@require_GET
def lead_email_state(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The lead page's Email card: subscribed, unsubscribed or suppressed, and what it means."""
    lead = get_lead(lead_id)
    can_suppress = can(signed_in_user(request), Action.MANAGE_CAMPAIGNS)
    return render(
        request,
        "outreach/lead_email/_state.html",
        {"lead": lead, "state": subscription_state(lead), "can_suppress": can_suppress},
    )


@lead_page
@require_POST
def lead_email_suppress(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Admins and the owner stop all email to the lead's address (add_suppression refuses
    members: the 403 page)."""
    lead = get_lead(lead_id)
    if lead.email:
        add_suppression(actor=signed_in_user(request), email=lead.email)
        messages.success(request, f"{lead.email} gets no more email from this workspace.")
    return redirect("lead_detail", lead.pk)
