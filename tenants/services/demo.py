"""The demo workspace for development: known logins, safe to run again and again."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.member_directory import file_member_address
from accounts.services.users import create_user
from billing.payments.services.demo_data import seed_demo_payments
from crm.services.demo_data import seed_demo_crm
from outreach.services.demo_data import seed_demo_email
from project.errors import Forbidden
from tenants.models import Workspace
from tenants.services.provisioning import create_workspace

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Coaching Co."


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


DEMO_LOGINS = (
    DemoLogin(User.Role.OWNER, "owner@demo.example", "demo-owner-passphrase"),
    DemoLogin(User.Role.ADMIN, "admin@demo.example", "demo-admin-passphrase"),
    DemoLogin(User.Role.MEMBER, "member@demo.example", "demo-member-passphrase"),
)


@transaction.atomic
def seed_demo_workspace() -> Workspace:
    """Make sure the demo workspace exists with its CRM data, a draft campaign and a year of
    payments, and each demo login works with its known password.

    Refuses in staging and production, where known passwords would be a hole.
    """
    if settings.STRICT:
        raise Forbidden("seed_demo only runs in the dev and test profiles.")
    owner = DEMO_LOGINS[0]
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    if workspace is None:
        workspace = create_workspace(
            name=DEMO_NAME,
            slug=DEMO_SLUG,
            owner_email=owner.email,
            owner_password=owner.password,
            owner_name="Olivia Owner",
        )
    with schema_context(workspace.schema_name):
        for login in DEMO_LOGINS:
            user = User.objects.filter(email__iexact=login.email).first()
            if user is None:
                user = create_user(
                    email=login.email,
                    password=login.password,
                    role=login.role,
                    full_name=f"{login.role.title()} Demo",
                )
            # A developer may have changed a demo password; the printed one must work.
            user.set_password(login.password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            file_member_address(user=user)
        team = list(User.objects.exclude(role=User.Role.OWNER))
        seed_demo_crm(owner=User.objects.get(role=User.Role.OWNER), members=team)
        seed_demo_email()
        seed_demo_payments()
    return workspace
