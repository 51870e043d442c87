"""/settings/sending/: who the workspace's email is from. The From name and address, and the
workspace's own domain registered with Postmark: the DNS records to add and a Verify button
that asks Postmark. Admins and owners only; each view calls the services the API would."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from mail import sending_domains
from outreach.forms import SenderForm, SendingDomainForm
from outreach.pages.common import HtmxHttpRequest, require_manager, workspace_page
from outreach.selectors.email_settings import email_settings
from outreach.selectors.sending_identity import domain_of, sending_domain, sending_identity
from outreach.services.sending_identity import (
    register_sending_domain,
    remove_sending_domain,
    update_sender,
    verify_sending_domain,
)
from project.errors import DomainError, InvalidInput
from project.pages import add_domain_errors


def _sender_form(data: dict[str, str] | None = None) -> SenderForm:
    row = email_settings()
    return SenderForm(data, initial={"from_name": row.from_name, "from_email": row.from_email})


def _page(
    request: HttpRequest,
    *,
    sender_form: SenderForm | None = None,
    domain_form: SendingDomainForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    workspace = request.tenant  # type: ignore[attr-defined]
    row = email_settings()
    domain = sending_domain()
    suggested = domain_of(row.from_email) if row.from_email else ""
    return render(
        request,
        "outreach/sending.html",
        {
            "sender_form": sender_form or _sender_form(),
            "domain_form": domain_form or SendingDomainForm(initial={"domain": suggested}),
            "identity": sending_identity(workspace),
            "settings_row": row,
            "domain": domain,
            "address_off_domain": bool(
                domain and row.from_email and domain_of(row.from_email) != domain.name
            ),
            "domains_configured": sending_domains.configured(),
            "action_error": error,
        },
        status=status,
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def sending_settings(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    if request.method == "GET":
        return _page(request)
    form = _sender_form(request.POST)
    if form.is_valid():
        try:
            update_sender(
                actor=actor,
                from_name=form.cleaned_data["from_name"],
                from_email=form.cleaned_data["from_email"],
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            messages.success(request, "Saved. Email from now on goes out under this name.")
            return redirect("sending_settings")
    return _page(request, sender_form=form, status=422)


@workspace_page
@require_POST
def sending_domain_register(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    form = SendingDomainForm(request.POST)
    if not form.is_valid():
        return _page(request, domain_form=form, status=422)
    try:
        domain = register_sending_domain(actor=actor, domain=form.cleaned_data["domain"])
    except InvalidInput as error:
        add_domain_errors(form, error.details)
        return _page(request, domain_form=form, status=error.status)
    except DomainError as error:
        return _page(request, domain_form=form, error=error, status=error.status)
    messages.success(
        request, f"{domain.name} is registered with Postmark. Add the two DNS records below."
    )
    return redirect("sending_settings")


@workspace_page
@require_POST
def sending_domain_verify(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    try:
        domain = verify_sending_domain(actor=actor)
    except DomainError as error:
        return _page(request, error=error, status=error.status)
    identity = sending_identity(request.tenant)  # type: ignore[attr-defined]
    if domain.verified and identity.own_address:
        messages.success(
            request, f"{domain.name} is verified. Email now goes from {identity.from_email}."
        )
    elif domain.verified:
        messages.success(
            request,
            f"{domain.name} is verified. Set a From address on it to send from your domain.",
        )
    else:
        messages.warning(
            request,
            f"Postmark did not find the DKIM record of {domain.name} yet. DNS changes "
            "usually show within minutes, sometimes hours: try again later.",
        )
    return redirect("sending_settings")


@workspace_page
@require_POST
def sending_domain_remove(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    try:
        name = remove_sending_domain(actor=actor)
    except DomainError as error:
        return _page(request, error=error, status=error.status)
    messages.success(request, f"{name} is removed. Email goes from our address again.")
    return redirect("sending_settings")
