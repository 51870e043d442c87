"""Who the workspace's email is from: the one place campaign, one-off and test email ask."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings

from outreach.models import SendingDomain
from outreach.selectors.email_settings import email_settings
from tenants.models import Workspace


@dataclass(frozen=True)
class SenderIdentity:
    """The From name, the From address ("" for the platform's) and the Reply-To."""

    from_name: str
    from_email: str
    reply_to: str

    @property
    def own_address(self) -> bool:
        return bool(self.from_email)

    @property
    def from_header(self) -> str:
        """The From header as sent (the name quoted when it must be)."""
        platform_name, platform_address = parseaddr(settings.CRM_EMAIL_FROM)
        return formataddr((self.from_name or platform_name, self.from_email or platform_address))

    @property
    def from_shown(self) -> str:
        """The From line as an inbox shows it: the name, then the address."""
        name, address = parseaddr(self.from_header)
        return f"{name} <{address}>"


def sending_domain() -> SendingDomain | None:
    return SendingDomain.objects.filter(pk=1).first()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def sending_identity(workspace: Workspace) -> SenderIdentity:
    """From the workspace's own address once its domain is verified with Postmark and the
    address is on it; until then From the platform's address, under the workspace's name,
    with replies going to the workspace (its reply-to address, else its From address)."""
    row = email_settings()
    domain = sending_domain()
    name = row.from_name.strip() or workspace.name
    own = (
        domain is not None
        and domain.verified
        and bool(row.from_email)
        and domain_of(row.from_email) == domain.name
    )
    if own:
        return SenderIdentity(from_name=name, from_email=row.from_email, reply_to=row.reply_to)
    return SenderIdentity(from_name=name, from_email="", reply_to=row.reply_to or row.from_email)
