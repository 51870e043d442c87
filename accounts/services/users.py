"""Creating accounts in the schema the connection is on (a workspace, or public for staff)."""

from __future__ import annotations

import structlog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.errors import EmailTaken
from accounts.models import User
from accounts.services.member_directory import file_member_address
from project.errors import InvalidInput, field_error

log = structlog.get_logger(__name__)


EMAIL_MAX_LENGTH = 254


def account_input_errors(
    *, email: str, password: str, email_field: str = "email", password_field: str = "password"
) -> list[dict[str, str]]:
    """Field errors for a would-be account's email and password (empty when valid)."""
    errors = []
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors.append(
            field_error(
                email_field, "invalid_email", "Enter a valid email address, like you@example.com."
            )
        )
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as error:
        errors.append(field_error(password_field, "weak_password", " ".join(error.messages)))
    return errors


@transaction.atomic
def create_user(
    *,
    email: str,
    password: str,
    full_name: str = "",
    role: str = User.Role.MEMBER,
    is_staff: bool = False,
) -> User:
    """Create an account in the current schema. Raises InvalidInput or EmailTaken."""
    email = email.strip()
    errors = account_input_errors(email=email, password=password)
    if errors:
        raise InvalidInput(details=errors)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name, role=role, is_staff=is_staff
            )
    except IntegrityError:
        raise EmailTaken() from None
    file_member_address(user=user)
    log.info("user_created", user_id=user.pk, role=role)
    return user
