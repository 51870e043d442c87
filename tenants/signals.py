"""Keep the host cache honest: any change to a domain or workspace drops its entries. And
`workspace_created`, which other apps (billing) answer without tenants knowing them.

Entries are dropped at once and again after commit, so a request that read the old row
between the two cannot leave a stale entry behind.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from tenants.models import Domain, Workspace
from tenants.selectors.hosts import forget_hosts

# Sent inside create_workspace's transaction once the schema, owner and domain exist, with
# `workspace` and `owner_email`: a receiver's failure undoes the whole creation.
workspace_created = Signal()


def _forget_now_and_after_commit(hosts: list[str]) -> None:
    forget_hosts(hosts)
    transaction.on_commit(lambda: forget_hosts(hosts))


@receiver([post_save, post_delete], sender=Domain)
def forget_domain(sender: type[Domain], instance: Domain, **kwargs: Any) -> None:
    _forget_now_and_after_commit([instance.domain])


@receiver([post_save, post_delete], sender=Workspace)
def forget_workspace_hosts(sender: type[Workspace], instance: Workspace, **kwargs: Any) -> None:
    hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if instance.is_public:
        hosts.append(settings.CRM_BASE_DOMAIN)
    _forget_now_and_after_commit(hosts)
