"""The account emails, rendered from templates/emails/ and sent on the transactional stream."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.models import User
from mail.gateway import Email, send_email


def _send(*, to: str, template: str, subject: str, context: dict[str, object], tag: str) -> str:
    return send_email(
        Email(
            to=to,
            subject=subject,
            tag=tag,
            text_body=render_to_string(f"emails/{template}.txt", context),
            html_body=render_to_string(f"emails/{template}.html", context),
        )
    )


def send_invitation_email(*, email: str, inviter: User, url: str) -> str:
    return _send(
        to=email,
        template="invitation",
        tag="invitation",
        subject=f"{inviter.display_name} invited you to their workspace",
        context={"inviter": inviter, "url": url},
    )


def send_password_reset_email(*, user: User, url: str) -> str:
    return _send(
        to=user.email,
        template="password_reset",
        tag="password-reset",
        subject="Reset your password",
        context={"user": user, "url": url},
    )


def send_verification_email(*, user: User, url: str, workspace_name: str) -> str:
    return _send(
        to=user.email,
        template="verify_email",
        tag="email-verification",
        subject=f"Confirm your email for {workspace_name}",
        context={"user": user, "url": url, "workspace_name": workspace_name},
    )


def send_payment_failed_email(*, user: User, workspace_name: str, amount: str, url: str) -> str:
    return _send(
        to=user.email,
        template="payment_failed",
        tag="payment-failed",
        subject=f"Payment failed for {workspace_name}: update your card to keep it running",
        context={"user": user, "workspace_name": workspace_name, "amount": amount, "url": url},
    )
