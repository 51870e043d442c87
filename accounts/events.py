"""Every action the audit log records, in one place.

Two logs, on purpose. The audit log (accounts.AuditEvent, in each schema) holds security
facts: who signed in or failed to, roles, invitations, keys, and what platform staff did in
the console (in the public schema). The event log (crm.EventLog, workspace schemas only) is
the business history of a workspace's objects, shown on timelines (crm.events,
outreach.events). Billing writes the workspace's subscription changes (plans, Stripe
customers, made in the public schema) to the public audit log with actions of its own here,
and a lead's payments to that workspace's event log, where the lead's timeline shows them.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    API_KEY_CREATED = "api_key_created"
    API_KEY_REVOKED = "api_key_revoked"
    CONSOLE_SEND_RATE_CHANGED = "console_send_rate_changed"
    CONSOLE_SIGN_IN = "console_sign_in"
    CONSOLE_SIGN_IN_FAILED = "console_sign_in_failed"
    CONSOLE_SIGN_IN_REFUSED_LOCKED = "console_sign_in_refused_locked"
    CONSOLE_SIGN_OUT = "console_sign_out"
    CONSOLE_WORKSPACE_CREATED = "console_workspace_created"
    CONSOLE_WORKSPACE_REACTIVATED = "console_workspace_reactivated"
    CONSOLE_WORKSPACE_SUSPENDED = "console_workspace_suspended"
    CONSOLE_WORKSPACE_VIEWED = "console_workspace_viewed"
    EMAIL_VERIFIED = "email_verified"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_RESENT = "invitation_resent"
    INVITATION_REVOKED = "invitation_revoked"
    MEMBER_DEACTIVATED = "member_deactivated"
    MEMBER_EMAIL_CHANGED = "member_email_changed"
    MEMBER_INVITED = "member_invited"
    MEMBER_REACTIVATED = "member_reactivated"
    MEMBER_ROLE_CHANGED = "member_role_changed"
    OWNERSHIP_TRANSFERRED = "ownership_transferred"
    PASSWORD_RESET = "password_reset"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_REFUSED_LOCKED = "sign_in_refused_locked"
    STAFF_USER_CREATED = "staff_user_created"
    STAFF_USER_UPDATED = "staff_user_updated"
    WORKSPACE_LOGO_CHANGED = "workspace_logo_changed"
    WORKSPACE_PROFILE_CHANGED = "workspace_profile_changed"
    WORKSPACE_SIGNED_UP = "workspace_signed_up"
