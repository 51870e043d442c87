"""Settings → SMS: connect the workspace's own Twilio account (checked with Twilio before it
is saved, secrets never shown again), the inbound URL to paste into Twilio, the answer to
HELP, and disconnecting. Admins and the owner only, like the email settings."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from outreach.forms import SmsAccountForm
from outreach.pages.common import HtmxHttpRequest, require_manager, workspace_page
from project.errors import DomainError, InvalidInput
from project.pages import add_domain_errors
from sms.callback_urls import inbound_url
from sms.models import SmsAccount
from sms.selectors.account import sms_account
from sms.services.account import SmsAccountInput, connect_sms_account, disconnect_sms_account
from tenants.schemas import current_workspace


def _initial(account: SmsAccount | None) -> dict[str, object]:
    if account is None:
        return {"send_rate": 1}
    return {
        "account_sid": account.account_sid,
        "api_key_sid": account.api_key_sid,
        "phone_number": account.phone_number,
        "messaging_service_sid": account.messaging_service_sid,
        "send_rate": account.send_rate,
        "help_text": account.help_text,
    }


def _stored_secrets(account: SmsAccount | None) -> dict[str, str]:
    if account is None:
        return {}
    return {
        "auth_token": account.auth_token_last4,
        "api_key_secret": account.api_key_secret_last4,
    }


def _page(
    request: HttpRequest,
    form: SmsAccountForm,
    account: SmsAccount | None,
    *,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "outreach/sms_settings.html",
        {
            "form": form,
            "account": account,
            "inbound_url": inbound_url(current_workspace()),
            "error": error,
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def sms_settings(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    account = sms_account()
    form = SmsAccountForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(account),
        stored_secrets=_stored_secrets(account),
    )
    if form.is_bound and form.is_valid():
        try:
            saved = connect_sms_account(actor=actor, data=SmsAccountInput(**form.account_values()))
        except InvalidInput as error:
            add_domain_errors(form, error.details)
            if not error.details:
                form.add_error(None, error.message)
        except DomainError as error:  # Twilio did not answer: nothing was saved
            return _page(request, form, account, error=error, status=error.status)
        else:
            what = "connected" if account is None else "saved"
            messages.success(
                request,
                f"Twilio accepted the credentials: “{saved.friendly_name or saved.account_sid}” "
                f"is {what}. Paste the inbound URL below into your number's messaging settings.",
            )
            return redirect("sms_settings")
    return _page(request, form, account)


@workspace_page
@require_POST
def sms_disconnect(request: HtmxHttpRequest) -> HttpResponse:
    """Forget the Twilio account and its secrets; SMS campaigns cannot send until another
    is connected."""
    actor = signed_in_user(request)
    require_manager(actor)
    disconnect_sms_account(actor=actor)
    messages.success(request, "Twilio is disconnected and its credentials are deleted here.")
    return redirect("sms_settings")
