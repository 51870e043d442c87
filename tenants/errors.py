"""Every domain error the platform side (workspaces, sign-up, console) raises, with its
stable code."""

from __future__ import annotations

from project.errors import Conflict, DomainError, Forbidden, InvalidInput


class SlugTaken(Conflict):
    code = "slug_taken"
    default_message = "This workspace address is already taken; choose another."


class NotStaff(Forbidden):
    code = "staff_only"
    default_message = (
        "Only platform staff can do this. Sign in to the console with a staff account."
    )


class StaffCredentialsInvalid(DomainError):
    code = "invalid_staff_credentials"
    status = 401
    default_message = "That email and password do not match a staff account."


class PublicWorkspaceUntouchable(Conflict):
    code = "public_workspace"
    default_message = "The platform's own site is not a customer workspace."


class ConfirmationMismatch(InvalidInput):
    code = "confirmation_mismatch"


class LogoInvalid(InvalidInput):
    code = "logo_invalid"
