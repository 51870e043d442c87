"""What the platform console reads: workspace summaries across schemas, one workspace's
own data, and the public audit log.

Reads inside a workspace schema return plain dataclasses built while the connection is in
that schema, so nothing lazy (a related object, a queryset) can run later against whichever
schema the connection is on by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import AuditEvent, User
from billing.selectors.accounts import BillingSummary, billing_summaries
from crm.selectors.leads import count_leads, lead_table_name
from project.errors import NotFound
from tenants.models import Domain, Workspace

PER_PAGE = 50
# Read by table name, not through crm.models.Lead, so that a schema whose migrations lag
# behind (or a database from before the CRM models) still lists with 0 leads.
# Owner-email search reads every workspace schema; this many go into one UNION ALL statement.
OWNER_SEARCH_BATCH = 200
MEMBER_AUDIT_LIMIT = 50
PUBLIC_AUDIT_LIMIT = 100
ROLE_ORDER: dict[str, int] = {User.Role.OWNER: 0, User.Role.ADMIN: 1, User.Role.MEMBER: 2}


@dataclass(frozen=True)
class WorkspaceSummary:
    id: int
    name: str
    slug: str
    url: str
    status: str
    status_label: str
    plan: str
    billing: BillingSummary | None
    owner_email: str
    user_count: int
    lead_count: int
    created: datetime


@dataclass(frozen=True)
class WorkspaceSummaryPage:
    items: list[WorkspaceSummary]
    query: str
    number: int
    num_pages: int
    total: int
    previous_number: int | None
    next_number: int | None


@dataclass(frozen=True)
class DomainRow:
    domain: str
    is_primary: bool


@dataclass(frozen=True)
class MemberRow:
    email: str
    full_name: str
    role: str
    role_label: str
    is_active: bool
    last_login: datetime | None


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor_email: str
    action: str
    target: str
    ip: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class WorkspaceDetail:
    workspace: Workspace
    domains: list[DomainRow]
    members: list[MemberRow]
    audit_events: list[AuditRow]
    lead_count: int
    plan: str
    billing: BillingSummary | None


@dataclass(frozen=True)
class _SchemaFigures:
    owner_email: str
    user_count: int
    lead_count: int


def _console_workspaces() -> QuerySet[Workspace]:
    return Workspace.objects.exclude(schema_name=get_public_schema_name())


def get_console_workspace(*, workspace_id: int) -> Workspace:
    """The customer workspace with this id; raises NotFound for unknown ids and the public one."""
    workspace = _console_workspaces().filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound("There is no workspace with this id.")
    return workspace


def summarise_workspaces(
    *, query: str = "", page: int | str = 1, per_page: int | None = None
) -> WorkspaceSummaryPage:
    """One page (PER_PAGE by default) of customer workspaces, newest first, each with its
    owner and counts.

    `query` matches the name or slug (SQL) or an owner's email (read from every workspace
    schema, see _workspace_ids_with_owner_email_like). Costs a constant number of queries for
    the page plus two per listed workspace (search path, one SELECT).
    """
    query = query.strip()
    workspaces = _console_workspaces().order_by("-created", "-pk")
    if query:
        owner_matches = _workspace_ids_with_owner_email_like(query)
        workspaces = workspaces.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(pk__in=owner_matches)
        )
    current = Paginator(workspaces, per_page or PER_PAGE).get_page(page)
    listed: list[Workspace] = list(current.object_list)
    with_leads = _schemas_with_lead_table(workspace.schema_name for workspace in listed)
    billing = billing_summaries(workspace_ids=[workspace.pk for workspace in listed])
    items = []
    for workspace in listed:
        figures = _schema_figures(
            workspace.schema_name, has_leads=workspace.schema_name in with_leads
        )
        items.append(
            WorkspaceSummary(
                id=workspace.pk,
                name=workspace.name,
                slug=workspace.slug,
                url=workspace.url,
                status=workspace.status,
                status_label=workspace.get_status_display(),
                plan=billing[workspace.pk].plan if workspace.pk in billing else "—",
                billing=billing.get(workspace.pk),
                owner_email=figures.owner_email,
                user_count=figures.user_count,
                lead_count=figures.lead_count,
                created=workspace.created,
            )
        )
    return WorkspaceSummaryPage(
        items=items,
        query=query,
        number=current.number,
        num_pages=current.paginator.num_pages,
        total=current.paginator.count,
        previous_number=current.previous_page_number() if current.has_previous() else None,
        next_number=current.next_page_number() if current.has_next() else None,
    )


def describe_workspace(*, workspace: Workspace) -> WorkspaceDetail:
    """A workspace's domains (public schema), and from its own schema: its members, its
    latest audit events and its lead count. Reads only."""
    domains = [
        DomainRow(domain=domain.domain, is_primary=domain.is_primary)
        for domain in Domain.objects.filter(tenant=workspace).order_by("-is_primary", "domain")
    ]
    has_leads = bool(_schemas_with_lead_table([workspace.schema_name]))
    with schema_context(workspace.schema_name):
        members = sorted(
            (
                MemberRow(
                    email=user.email,
                    full_name=user.full_name,
                    role=user.role,
                    role_label=user.get_role_display(),
                    is_active=user.is_active,
                    last_login=user.last_login,
                )
                for user in User.objects.order_by("email")
            ),
            key=lambda member: (ROLE_ORDER.get(member.role, len(ROLE_ORDER)), member.email),
        )
        audit_events = _audit_rows(AuditEvent.objects.order_by("-at", "-pk")[:MEMBER_AUDIT_LIMIT])
        lead_count = count_leads() if has_leads else 0
    billing = billing_summaries(workspace_ids=[workspace.pk]).get(workspace.pk)
    return WorkspaceDetail(
        workspace=workspace,
        domains=domains,
        members=members,
        audit_events=audit_events,
        lead_count=lead_count,
        plan=billing.plan if billing else "—",
        billing=billing,
    )


def public_audit_events(*, action: str = "", limit: int = PUBLIC_AUDIT_LIMIT) -> list[AuditRow]:
    """The latest events of the platform's own (public schema) audit log, optionally one action."""
    with schema_context(get_public_schema_name()):
        events = AuditEvent.objects.order_by("-at", "-pk")
        if action:
            events = events.filter(action=action)
        return _audit_rows(events[:limit])


def public_audit_actions() -> list[str]:
    """Every action name present in the public audit log, for the filter."""
    with schema_context(get_public_schema_name()):
        return list(
            AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
        )


def _audit_rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    return [
        AuditRow(
            at=event.at,
            actor_email=event.actor_email,
            action=event.action,
            target=f"{event.target_type} {event.target_id}".strip(),
            ip=event.ip,
            details=dict(event.details or {}),
        )
        for event in events
    ]


def _schemas_with_lead_table(schema_names: Iterable[str]) -> set[str]:
    """Which of these schemas have the leads table (one catalog query, asked every time so
    the counts appear as soon as a schema gains the table)."""
    names = list(schema_names)
    if not names:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_class c"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relname = %s AND c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)",
            [lead_table_name(), names],
        )
        return {row[0] for row in cursor.fetchall()}


def _schema_figures(schema_name: str, *, has_leads: bool) -> _SchemaFigures:
    """Owner email, active users and leads of one workspace in one statement."""
    users = connection.ops.quote_name(User._meta.db_table)
    leads_table = connection.ops.quote_name(lead_table_name())
    leads = f"(SELECT count(*) FROM {leads_table})" if has_leads else "0"  # noqa: S608
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute(
            # Only table names we own are interpolated; values go as parameters.
            f"SELECT (SELECT email FROM {users} WHERE role = %s"  # noqa: S608
            " ORDER BY is_active DESC, date_joined, id LIMIT 1),"
            f" (SELECT count(*) FROM {users} WHERE is_active),"
            f" {leads}",
            [User.Role.OWNER.value],
        )
        owner_email, user_count, lead_count = cursor.fetchone()
    return _SchemaFigures(
        owner_email=owner_email or "", user_count=int(user_count), lead_count=int(lead_count)
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _workspace_ids_with_owner_email_like(query: str) -> set[int]:
    """Ids of workspaces with an owner whose email contains `query` (case-insensitive).

    Owners live in each workspace's schema, so this reads every one of them: a UNION ALL
    over schema-qualified tables, OWNER_SEARCH_BATCH schemas per statement. Linear in the
    number of workspaces; an owner-email column on Workspace would make it one indexed query.
    """
    pattern = _like_pattern(query)
    workspaces = list(_console_workspaces().values_list("pk", "schema_name"))
    users_table = connection.ops.quote_name(User._meta.db_table)
    matches: set[int] = set()
    for start in range(0, len(workspaces), OWNER_SEARCH_BATCH):
        batch: Sequence[tuple[int, str]] = workspaces[start : start + OWNER_SEARCH_BATCH]
        selects: list[str] = []
        params: list[int | str] = []
        for workspace_id, schema_name in batch:
            selects.append(
                f"SELECT %s::bigint FROM {connection.ops.quote_name(schema_name)}.{users_table}"  # noqa: S608
                " WHERE role = %s AND email ILIKE %s"
            )
            params += [workspace_id, User.Role.OWNER.value, pattern]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(selects), params)
            matches.update(row[0] for row in cursor.fetchall())
    return matches
