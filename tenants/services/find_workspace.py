"""'Find my workspace' on the apex: we email an address the links of its workspaces."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.template.loader import render_to_string
from django_tenants.utils import get_public_schema_name, schema_context

from mail.gateway import Email, send_email
from tenants.selectors.member_directory import workspaces_with_active_account
from tenants.services.waitlist import checked_email

log = structlog.get_logger(__name__)


def email_workspace_links(*, email: str) -> None:
    """Email this address the link of every active workspace where it has an active
    account, or, when there is none, a note saying so with the way to sign up.

    Exactly one email either way, sent before the answer, so neither the page nor how
    long it takes tells a visitor whether an address has accounts. Raises InvalidInput
    for something that is not an email address (and sends nothing).
    """
    email = checked_email(email)
    workspaces = workspaces_with_active_account(email=email)
    port = f":{settings.CRM_PUBLIC_PORT}" if settings.CRM_PUBLIC_PORT else ""
    context = {
        "workspaces": workspaces,
        "signup_url": f"{settings.CRM_PUBLIC_SCHEME}://{settings.CRM_BASE_DOMAIN}{port}/signup/",
    }
    with schema_context(get_public_schema_name()):
        send_email(
            Email(
                to=email,
                subject="Your Cohort CRM workspaces"
                if workspaces
                else "About your Cohort CRM sign-in",
                tag="find-workspace",
                text_body=render_to_string("emails/find_workspace.txt", context),
                html_body=render_to_string("emails/find_workspace.html", context),
            )
        )
    log.info("workspace_links_sent", workspace_count=len(workspaces))
