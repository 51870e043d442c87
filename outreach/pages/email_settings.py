"""The email settings page: postal address, reply-to and the webhook password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.authentication import signed_in_user
from outreach.forms import (
    EmailSettingsForm,
)
from outreach.pages.common import HtmxHttpRequest, require_manager, workspace_page
from outreach.selectors.email_settings import email_settings as get_email_settings
from outreach.services.email_settings import (
    WebhookCredentials,
    rotate_webhook_secret,
    update_email_settings,
)
from project.errors import InvalidInput
from project.pages import add_domain_errors

# --- Email settings ---------------------------------------------------------------------------


def _settings_page(
    request: HttpRequest,
    form: EmailSettingsForm,
    *,
    credentials: WebhookCredentials | None = None,
) -> HttpResponse:
    current = get_email_settings()
    workspace_url = str(request.tenant.url)  # type: ignore[attr-defined]
    return render(
        request,
        "outreach/email_settings.html",
        {
            "form": form,
            "webhook_configured": bool(current.webhook_secret_hash),
            "webhook_url": f"{workspace_url}/webhooks/postmark",
            "credentials": credentials,
        },
        status=422 if form.errors else 200,
    )


@workspace_page
@require_http_methods(["GET", "POST"])
def email_settings(request: HtmxHttpRequest) -> HttpResponse:
    actor = signed_in_user(request)
    require_manager(actor)
    current = get_email_settings()
    form = EmailSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"postal_address": current.postal_address, "reply_to": current.reply_to},
    )
    if form.is_bound and form.is_valid():
        try:
            update_email_settings(actor=actor, changes=dict(form.cleaned_data))
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        else:
            messages.success(request, "Saved. Every campaign email from now on carries these.")
            return redirect("email_settings")
    return _settings_page(request, form)


@workspace_page
@require_POST
def new_webhook_secret(request: HtmxHttpRequest) -> HttpResponse:
    """A new password for Postmark's webhook, shown on this one page and never again."""
    credentials = rotate_webhook_secret(actor=signed_in_user(request))
    current = get_email_settings()
    form = EmailSettingsForm(
        initial={"postal_address": current.postal_address, "reply_to": current.reply_to}
    )
    return _settings_page(request, form, credentials=credentials)
