"""Password reset by emailed link and email verification."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.events import AuditAction
from accounts.models import AccessToken, OneTimeToken, User
from accounts.services.audit import record_audit_event
from accounts.services.emails import send_password_reset_email, send_verification_email
from accounts.services.tokens import (
    LinkInvalid,
    consume_one_time_token,
    find_one_time_token,
    issue_one_time_token,
)
from accounts.services.users import account_input_errors
from project.errors import InvalidInput


@transaction.atomic
def request_password_reset(*, email: str, base_url: str, ip: str | None = None) -> None:
    """Email a reset link if an active account has this email; say nothing either way."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    record_audit_event(
        action=AuditAction.PASSWORD_RESET_REQUESTED, actor=user, actor_email=email, ip=ip
    )
    if user is None:
        return
    raw, _ = issue_one_time_token(purpose=OneTimeToken.Purpose.PASSWORD_RESET, user=user)
    send_password_reset_email(user=user, url=f"{base_url}/password-reset/confirm/?token={raw}")


@transaction.atomic
def reset_password(*, raw_token: str, new_password: str, ip: str | None = None) -> User:
    """Set a new password from a reset link (single use, one hour) and end API tokens."""
    pending = find_one_time_token(purpose=OneTimeToken.Purpose.PASSWORD_RESET, raw=raw_token)
    if pending is None or pending.user is None:
        raise LinkInvalid()
    errors = [
        error
        for error in account_input_errors(email=pending.user.email, password=new_password)
        if error["field"] == "password"
    ]
    if errors:
        raise InvalidInput(details=errors)
    token = consume_one_time_token(purpose=OneTimeToken.Purpose.PASSWORD_RESET, raw=raw_token)
    user = token.user
    assert user is not None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    AccessToken.objects.filter(user=user).delete()
    record_audit_event(action=AuditAction.PASSWORD_RESET, actor=user, ip=ip)
    return user


def send_email_verification(*, user: User, base_url: str, workspace_name: str) -> None:
    raw, _ = issue_one_time_token(purpose=OneTimeToken.Purpose.EMAIL_VERIFICATION, user=user)
    send_verification_email(
        user=user, url=f"{base_url}/auth/verify-email/?token={raw}", workspace_name=workspace_name
    )


@transaction.atomic
def verify_email(*, raw_token: str) -> User:
    token = consume_one_time_token(purpose=OneTimeToken.Purpose.EMAIL_VERIFICATION, raw=raw_token)
    user = token.user
    assert user is not None
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    record_audit_event(action=AuditAction.EMAIL_VERIFIED, actor=user)
    return user
