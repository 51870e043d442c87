"""What platform staff do in the console: sign in, suspend, reactivate, create and inspect
workspaces. Every action is recorded in the public schema's audit log, in the same
transaction as the change it records.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.events import AuditAction
from accounts.models import AuditEvent, User
from accounts.services.audit import record_audit_event
from accounts.services.sign_in import authenticate_with_lockout
from accounts.services.users import account_input_errors, create_user
from project.errors import InvalidInput
from tenants.errors import NotStaff, PublicWorkspaceUntouchable, StaffCredentialsInvalid
from tenants.models import Workspace
from tenants.services.provisioning import create_workspace
from tenants.services.workspaces import set_workspace_status

log = structlog.get_logger(__name__)


def is_staff(user: object) -> bool:
    """Active platform staff: an account of the public schema with is_staff set."""
    return isinstance(user, User) and user.is_active and user.is_staff


def require_staff(user: object) -> User:
    """Return the user if they are active platform staff; raise NotStaff otherwise."""
    if not is_staff(user):
        raise NotStaff()
    assert isinstance(user, User)
    return user


def check_staff_credentials(*, email: str, password: str, ip: str | None) -> User:
    """Return the active staff account of the public schema with these credentials.

    Anything else (unknown email, wrong password, inactive or non-staff account, an account
    that exists only in a workspace) raises the same StaffCredentialsInvalid, and after
    CRM_LOCKOUT_FAILURES of them in a row the email is locked like a workspace account
    (AccountLocked, even for the right password). Every outcome is audited; deliberately
    not one transaction, so a refusal keeps its audit row.
    """
    with schema_context(get_public_schema_name()):
        return authenticate_with_lockout(
            email=email.strip(),
            password=password,
            ip=ip,
            refusal=StaffCredentialsInvalid(),
            accept=is_staff,
            audit_prefix="console_",
        )


def record_staff_sign_out(*, staff_user: User, ip: str | None) -> AuditEvent:
    with schema_context(get_public_schema_name()):
        return record_audit_event(action=AuditAction.CONSOLE_SIGN_OUT, actor=staff_user, ip=ip)


def suspend_workspace(*, staff_user: User, workspace: Workspace, ip: str | None) -> Workspace:
    """Suspend a customer workspace: its hosts answer 403 at once. Audited; a no-op when
    already suspended. Raises NotStaff or PublicWorkspaceUntouchable."""
    return _change_status(
        staff_user=staff_user,
        workspace=workspace,
        status=Workspace.Status.SUSPENDED,
        action=AuditAction.CONSOLE_WORKSPACE_SUSPENDED,
        ip=ip,
    )


def reactivate_workspace(*, staff_user: User, workspace: Workspace, ip: str | None) -> Workspace:
    """Serve a suspended workspace again. Audited; a no-op when already active."""
    return _change_status(
        staff_user=staff_user,
        workspace=workspace,
        status=Workspace.Status.ACTIVE,
        action=AuditAction.CONSOLE_WORKSPACE_REACTIVATED,
        ip=ip,
    )


def _change_status(
    *, staff_user: User, workspace: Workspace, status: str, action: str, ip: str | None
) -> Workspace:
    require_staff(staff_user)
    if workspace.is_public:
        raise PublicWorkspaceUntouchable()
    with schema_context(get_public_schema_name()), transaction.atomic():
        # Locked, so two staff pressing the same button record one change, not two.
        current = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if current.status == status:
            return current
        set_workspace_status(workspace=current, status=status)
        record_audit_event(
            action=action,
            actor=staff_user,
            target=current,
            ip=ip,
            details={"slug": current.slug},
        )
    return current


MAX_SEND_RATE = 100_000


@transaction.atomic
def set_email_send_rate(
    *, staff_user: User, workspace: Workspace, rate: int | None, ip: str | None
) -> Workspace:
    """Set how many campaign emails per second the workspace may send (None: the platform
    default, CRM_EMAIL_SEND_RATE). Audited. Raises InvalidInput outside 1..100,000."""
    require_staff(staff_user)
    if workspace.is_public:
        raise PublicWorkspaceUntouchable()
    if rate is not None and not 1 <= rate <= MAX_SEND_RATE:
        raise InvalidInput(
            details=[
                {
                    "field": "email_send_rate",
                    "code": "out_of_range",
                    "message": f"Give 1 to {MAX_SEND_RATE:,} emails per second, or leave it "
                    "empty for the platform default.",
                }
            ]
        )
    with schema_context(get_public_schema_name()):
        current = Workspace.objects.select_for_update().get(pk=workspace.pk)
        before = current.email_send_rate
        if before == rate:
            return current
        current.email_send_rate = rate
        current.save(update_fields=["email_send_rate"])
        record_audit_event(
            action=AuditAction.CONSOLE_SEND_RATE_CHANGED,
            actor=staff_user,
            target=current,
            ip=ip,
            details={"slug": current.slug, "before": before, "after": rate},
        )
    return current


def create_workspace_for_customer(
    *,
    staff_user: User,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    ip: str | None,
) -> Workspace:
    """Create a workspace with its owner on a customer's behalf; all or nothing, audited.

    Raises NotStaff, or what create_workspace raises (InvalidInput with field details,
    SlugTaken).
    """
    require_staff(staff_user)
    with schema_context(get_public_schema_name()), transaction.atomic():
        workspace = create_workspace(
            name=name,
            slug=slug,
            owner_email=owner_email,
            owner_password=owner_password,
            owner_name=owner_name,
        )
        record_audit_event(
            action=AuditAction.CONSOLE_WORKSPACE_CREATED,
            actor=staff_user,
            target=workspace,
            ip=ip,
            details={"slug": workspace.slug, "owner_email": owner_email.strip()},
        )
    return workspace


def record_workspace_view(*, staff_user: User, workspace: Workspace, ip: str | None) -> AuditEvent:
    """Staff looked at a workspace's own data: who, when, from where (public schema)."""
    require_staff(staff_user)
    with schema_context(get_public_schema_name()):
        return record_audit_event(
            action=AuditAction.CONSOLE_WORKSPACE_VIEWED,
            actor=staff_user,
            target=workspace,
            ip=ip,
            details={"workspace_id": workspace.pk, "slug": workspace.slug},
        )


@dataclass(frozen=True)
class StaffAccount:
    user: User
    created: bool
    changes: list[str]


def save_staff_user(*, email: str, password: str, full_name: str = "") -> StaffAccount:
    """Make sure a public-schema staff account with this email exists, is active and has
    this password: created when missing, else promoted and updated. Audited.

    Raises InvalidInput (invalid email or weak password) and changes nothing then.
    """
    email = email.strip()
    with schema_context(get_public_schema_name()), transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is None:
            user = create_user(
                email=email, password=password, full_name=full_name.strip(), is_staff=True
            )
            record_audit_event(
                action=AuditAction.STAFF_USER_CREATED, target=user, details={"email": user.email}
            )
            log.info("staff_user_created", user_id=user.pk)
            return StaffAccount(user=user, created=True, changes=[])
        errors = account_input_errors(email=existing.email, password=password)
        if errors:
            raise InvalidInput(details=errors)
        changes = []
        if not existing.is_staff:
            existing.is_staff = True
            changes.append("made staff")
        if not existing.is_active:
            existing.is_active = True
            changes.append("reactivated")
        if full_name.strip() and full_name.strip() != existing.full_name:
            existing.full_name = full_name.strip()
            changes.append("name set")
        existing.set_password(password)
        changes.append("password set")
        existing.save(update_fields=["is_staff", "is_active", "full_name", "password"])
        record_audit_event(
            action=AuditAction.STAFF_USER_UPDATED,
            target=existing,
            details={"email": existing.email, "changes": changes},
        )
        log.info("staff_user_updated", user_id=existing.pk, changes=changes)
    return StaffAccount(user=existing, created=False, changes=changes)
