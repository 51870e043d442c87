"""The team of a workspace: invitations, roles, deactivation, ownership."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.errors import LastOwner
from accounts.events import AuditAction
from accounts.models import AccessToken, ApiKey, OneTimeToken, User
from accounts.permissions import Action, require
from accounts.services.audit import record_audit_event
from accounts.services.emails import send_invitation_email
from accounts.services.member_directory import file_member_address
from accounts.services.sessions import end_sessions
from accounts.services.tokens import (
    LinkInvalid,
    consume_one_time_token,
    find_one_time_token,
    issue_one_time_token,
)
from accounts.services.users import EmailTaken, account_input_errors, create_user
from project.errors import Conflict, Forbidden, InvalidInput, NotFound, field_error
from tenants.limits import check_seats

INVITABLE_ROLES = (User.Role.ADMIN, User.Role.MEMBER)


def get_member(member_id: int) -> User:
    member = User.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound("No team member with this id.")
    return member


def _check_role(role: str) -> None:
    if role not in INVITABLE_ROLES:
        raise InvalidInput(
            details=[
                field_error(
                    "role",
                    "invalid_role",
                    "Choose admin or member; ownership moves only by transfer.",
                )
            ]
        )


def _guard_owner(actor: User, member: User) -> None:
    if member.role != User.Role.OWNER:
        return
    if actor.role != User.Role.OWNER:
        raise Forbidden("Only an owner can change another owner's account.")
    others = User.objects.filter(role=User.Role.OWNER, is_active=True).exclude(pk=member.pk)
    if not others.exists():
        raise LastOwner()


@transaction.atomic
def invite_member(
    *, actor: User, email: str, role: str, base_url: str, ip: str | None = None
) -> OneTimeToken:
    """Email an invitation link (valid 7 days); it holds a seat until it is answered.
    Raises Forbidden, InvalidInput, EmailTaken, or PlanLimitReached when no seat is free."""
    require(actor, Action.MANAGE_TEAM)
    email = email.strip()
    _check_role(role)
    errors = [
        error
        for error in account_input_errors(email=email, password="x" * 40)
        if error["field"] == "email"
    ]
    if errors:
        raise InvalidInput(details=errors)
    _refuse_a_member(email)
    check_seats(adding=1)
    return _send_invitation(
        actor=actor, email=email, role=role, base_url=base_url, ip=ip,
        action=AuditAction.MEMBER_INVITED,
    )  # fmt: skip


def _refuse_a_member(email: str) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken("This person is already a member of the workspace.")


def _send_invitation(
    *, actor: User, email: str, role: str, base_url: str, ip: str | None, action: AuditAction
) -> OneTimeToken:
    """Issue a 7-day invitation link, email it and audit it (invited or resent)."""
    raw, invitation = issue_one_time_token(
        purpose=OneTimeToken.Purpose.INVITATION, email=email, role=role, created_by=actor
    )
    send_invitation_email(email=email, inviter=actor, url=f"{base_url}/invite/accept/?token={raw}")
    record_audit_event(action=action, actor=actor, ip=ip, details={"email": email, "role": role})
    return invitation


@transaction.atomic
def accept_invitation(
    *, raw_token: str, full_name: str, password: str, ip: str | None = None
) -> User:
    """Create the invitee's account from a valid invitation; the link then stops working.

    The password is checked before the link is used up, so a weak one can be retried.
    Raises PlanLimitReached when the plan's seats are all taken by members (the plan went
    down since the invitation was sent): the link stays valid for after an upgrade.
    """
    invitation = find_one_time_token(purpose=OneTimeToken.Purpose.INVITATION, raw=raw_token)
    if invitation is None:
        raise LinkInvalid("This invitation has expired or was already used. Ask for a new one.")
    errors = account_input_errors(email=invitation.email, password=password)
    if errors:
        raise InvalidInput(details=errors)
    # The invitation's own seat becomes this member's: only members count here.
    check_seats(adding=1, counting_invitations=False)
    token = consume_one_time_token(purpose=OneTimeToken.Purpose.INVITATION, raw=raw_token)
    user = create_user(
        email=token.email,
        password=password,
        full_name=full_name.strip(),
        role=token.role or User.Role.MEMBER,
    )
    record_audit_event(
        action=AuditAction.INVITATION_ACCEPTED, actor=user, ip=ip, details={"role": user.role}
    )
    return user


@transaction.atomic
def change_member_role(*, actor: User, member_id: int, role: str, ip: str | None = None) -> User:
    """Make a member an admin or a member. The last owner cannot be demoted."""
    require(actor, Action.MANAGE_TEAM)
    _check_role(role)
    member = get_member(member_id)
    _guard_owner(actor, member)
    before = member.role
    member.role = role
    member.save(update_fields=["role"])
    record_audit_event(
        action=AuditAction.MEMBER_ROLE_CHANGED,
        actor=actor,
        target=member,
        ip=ip,
        details={"before": before, "after": role, "email": member.email},
    )
    return member


@transaction.atomic
def deactivate_member(*, actor: User, member_id: int, ip: str | None = None) -> User:
    """Stop a member from signing in. Every credential they hold ends at once, for good:
    browser sessions, API tokens, the API keys they made and unused links (password reset
    and the like), so reactivating them later revives none of these."""
    require(actor, Action.MANAGE_TEAM)
    member = get_member(member_id)
    if member.pk == actor.pk:
        raise Conflict("You cannot deactivate yourself; ask another admin.")
    _guard_owner(actor, member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    file_member_address(user=member)
    now = timezone.now()
    sessions = end_sessions(member)
    AccessToken.objects.filter(user=member).delete()
    api_keys = ApiKey.objects.filter(created_by=member, revoked_at__isnull=True).update(
        revoked_at=now
    )
    OneTimeToken.objects.filter(user=member, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    record_audit_event(
        action=AuditAction.MEMBER_DEACTIVATED,
        actor=actor,
        target=member,
        ip=ip,
        details={"email": member.email, "sessions_ended": sessions, "api_keys_revoked": api_keys},
    )
    return member


@transaction.atomic
def reactivate_member(*, actor: User, member_id: int, ip: str | None = None) -> User:
    """Let a deactivated member sign in again, with a fresh sign-in: nothing they held
    before deactivation comes back (deactivate_member ended it). Raises PlanLimitReached
    when no seat is free."""
    require(actor, Action.MANAGE_TEAM)
    member = get_member(member_id)
    if not member.is_active:
        check_seats(adding=1)
    member.is_active = True
    member.save(update_fields=["is_active"])
    file_member_address(user=member)
    record_audit_event(
        action=AuditAction.MEMBER_REACTIVATED,
        actor=actor,
        target=member,
        ip=ip,
        details={"email": member.email},
    )
    return member


@transaction.atomic
def change_member_email(*, actor: User, member_id: int, email: str, ip: str | None = None) -> User:
    """Give an account a new sign-in address (the person themselves, or an admin for a
    member; an owner's only by an owner). The new address is unverified until confirmed.
    Raises Forbidden, InvalidInput or EmailTaken."""
    member = get_member(member_id)
    if member.pk != actor.pk:
        require(actor, Action.MANAGE_TEAM)
        if member.role == User.Role.OWNER and actor.role != User.Role.OWNER:
            raise Forbidden("Only an owner can change another owner's account.")
    email = email.strip()
    errors = [
        error
        for error in account_input_errors(email=email, password="x" * 40)
        if error["field"] == "email"
    ]
    if errors:
        raise InvalidInput(details=errors)
    if User.objects.filter(email__iexact=email).exclude(pk=member.pk).exists():
        raise EmailTaken("Another account of the workspace already uses this address.")
    before = member.email
    member.email = email
    member.email_verified_at = None
    member.save(update_fields=["email", "email_verified_at"])
    file_member_address(user=member)
    record_audit_event(
        action=AuditAction.MEMBER_EMAIL_CHANGED,
        actor=actor,
        target=member,
        ip=ip,
        details={"before": before, "after": email},
    )
    return member


@transaction.atomic
def transfer_ownership(*, actor: User, new_owner_id: int, ip: str | None = None) -> User:
    """Make another active member the owner; the previous owner becomes an admin."""
    require(actor, Action.TRANSFER_OWNERSHIP)
    new_owner = get_member(new_owner_id)
    if new_owner.pk == actor.pk or not new_owner.is_active:
        raise Conflict("Choose another active member of the workspace.")
    new_owner.role = User.Role.OWNER
    new_owner.save(update_fields=["role"])
    actor.role = User.Role.ADMIN
    actor.save(update_fields=["role"])
    record_audit_event(
        action=AuditAction.OWNERSHIP_TRANSFERRED,
        actor=actor,
        target=new_owner,
        ip=ip,
        details={"from": actor.email, "to": new_owner.email},
    )
    return new_owner


def _open_invitation(invitation_id: int) -> OneTimeToken:
    invitation = (
        OneTimeToken.objects.select_for_update()
        .filter(pk=invitation_id, purpose=OneTimeToken.Purpose.INVITATION, used_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound("No pending invitation with this id.")
    return invitation


@transaction.atomic
def resend_invitation(
    *, actor: User, invitation_id: int, base_url: str, ip: str | None = None
) -> OneTimeToken:
    """Email a fresh 7-day link for a pending (or expired) invitation, same address and
    role; the old link stops working. Raises Forbidden, NotFound, EmailTaken."""
    require(actor, Action.MANAGE_TEAM)
    old = _open_invitation(invitation_id)
    _refuse_a_member(old.email)
    email, role = old.email, old.role or User.Role.MEMBER
    old.delete()
    check_seats(adding=1)  # an expired invitation held no seat; its fresh link will
    return _send_invitation(
        actor=actor, email=email, role=role, base_url=base_url, ip=ip,
        action=AuditAction.INVITATION_RESENT,
    )  # fmt: skip


@transaction.atomic
def revoke_invitation(*, actor: User, invitation_id: int, ip: str | None = None) -> OneTimeToken:
    """Withdraw a pending invitation: its link stops working at once. Returns the removed
    invitation. Raises Forbidden, NotFound."""
    require(actor, Action.MANAGE_TEAM)
    invitation = _open_invitation(invitation_id)
    email, role = invitation.email, invitation.role
    invitation.delete()
    record_audit_event(
        action=AuditAction.INVITATION_REVOKED,
        actor=actor,
        ip=ip,
        details={"email": email, "role": role},
    )
    invitation.email, invitation.role = email, role
    return invitation
