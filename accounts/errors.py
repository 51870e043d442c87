"""Every domain error accounts raise, with its stable code."""

from __future__ import annotations

from project.errors import Conflict, DomainError


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists here."


class LinkInvalid(DomainError):
    code = "link_invalid"
    status = 400
    default_message = "This link has expired or was already used. Ask for a new one."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = "That email and password do not match an account in this workspace."


class AccountLocked(DomainError):
    code = "account_locked"
    status = 423

    def __init__(self, minutes: int):
        super().__init__(
            f"Too many failed sign-ins: this account is locked for {minutes} minute"
            f"{'s' if minutes != 1 else ''}. Reset your password if you have forgotten it."
        )


class LastOwner(Conflict):
    code = "last_owner"
    default_message = "A workspace needs an owner: transfer ownership to another member first."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = "Send a valid bearer token in the Authorization header."
