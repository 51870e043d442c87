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


class PlanLimitReached(DomainError):
    """An action would take the workspace past what its plan allows (seats, leads, emails
    this month). The message names the limit and how to raise it."""

    code = "plan_limit_reached"
    status = 402
    default_message = "This is over what your plan allows. Upgrade in Settings → Billing."


class WorkspaceReadOnly(DomainError):
    """The workspace's subscription ended and the grace period is over: it can be read and
    exported, not changed, until it subscribes again."""

    code = "workspace_read_only"
    status = 402
    default_message = (
        "This workspace is read-only because its subscription ended. "
        "The owner can subscribe again in Settings → Billing."
    )
