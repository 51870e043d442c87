"""A one-off email to one lead, written in the app and delivered like a campaign's: queued,
claimed, sent once through Postmark's transactional stream, its fate tracked by webhooks."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from accounts.permissions import Action, require
from crm.models import Lead, Message
from crm.selectors.leads import get_lead
from crm.services.events import record_event
from outreach.delivery import after_commit_deliver_direct
from outreach.errors import RecipientSuppressed
from outreach.events import LeadEmailEvent
from outreach.lifecycle import keep_direct_pending
from outreach.mail_templates import compile_email, lead_fields
from outreach.selectors.audience import is_suppressed
from outreach.selectors.email_settings import sender_of
from project.errors import InvalidInput, field_error
from tenants.limits import check_emails, check_writable, record_emails
from tenants.schemas import current_workspace

BODY_FIELDS = {"body_template": "body"}


def check_reachable(lead: Lead) -> str:
    """The lead's address, or the reason it gets no email (422 none, 409 suppressed)."""
    if not lead.email:
        raise InvalidInput(
            details=[field_error("email", "no_email", "This lead has no email address; add one.")]
        )
    if lead.unsubscribed_at is not None or is_suppressed(lead.email):
        raise RecipientSuppressed(
            "This lead unsubscribed, bounced or complained: this workspace sends it no email."
        )
    return lead.email


@transaction.atomic
def send_lead_email(*, actor: User | None, lead_id: int, subject: str, body: str) -> Message:
    """Queue an email to one lead (merge fields allowed) and send it in the background.
    Raises PlanLimitReached when this month's emails are all used, WorkspaceReadOnly when
    the workspace may not send."""
    if actor is not None:
        require(actor, Action.MANAGE_MESSAGES)
    check_writable()
    lead = get_lead(lead_id)
    errors = []
    if not subject.strip() or len(subject) > 255:
        errors.append(field_error("subject", "invalid_length", "Give 1 to 255 characters."))
    if not body.strip():
        errors.append(field_error("body", "required", "Write the email."))
    if errors:
        raise InvalidInput(details=errors)
    address = check_reachable(lead)
    workspace = current_workspace()
    sender, _ = sender_of(workspace)
    try:
        rendered = compile_email(subject=subject, text=body).render(
            lead=lead_fields(lead), sender=sender
        )
    except InvalidInput as error:
        raise InvalidInput(
            error.message,
            details=[
                {
                    **detail,
                    "field": BODY_FIELDS.get(detail["field"], detail["field"]),
                }
                for detail in error.details
            ],
        ) from None
    check_emails(adding=1)
    message = Message.objects.create(
        lead=lead,
        channel=Message.Channel.EMAIL,
        direction=Message.Direction.OUTBOUND,
        subject=rendered.subject,
        body=rendered.text_body,
        status=Message.Status.QUEUED,
        author=actor,
        to_email=address,
    )
    record_emails(count=1)
    keep_direct_pending()
    record_event(
        actor=actor,
        verb=LeadEmailEvent.QUEUED,
        obj=lead,
        changes={"message_id": message.pk, "subject": rendered.subject},
    )
    after_commit_deliver_direct()
    return message
