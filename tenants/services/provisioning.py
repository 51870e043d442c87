"""Creating a workspace: row, schema, owner and domain, all or nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services.users import account_input_errors, create_user
from project.errors import InvalidInput, field_error
from tenants.errors import SlugTaken
from tenants.models import Domain, Workspace
from tenants.services.template import clone_template, ensure_template
from tenants.signals import workspace_created

log = structlog.get_logger(__name__)

# A DNS label of 3-40 characters: lower-case letters, digits, inner hyphens.
SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
NAME_MAX_LENGTH = 100


def schema_name_for(slug: str) -> str:
    # Prefixed so that no slug can name a system schema (information_schema, pg_*, public).
    return "ws_" + slug.replace("-", "_")


def workspace_input_errors(
    *, name: str, slug: str, owner_email: str, owner_password: str
) -> list[dict[str, str]]:
    errors = []
    if not name:
        errors.append(field_error("name", "required", "Give the workspace a name."))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(field_error("name", "too_long", f"Use at most {NAME_MAX_LENGTH} characters."))
    if not 3 <= len(slug) <= 40:
        errors.append(
            field_error("slug", "invalid_length", "The address must be 3 to 40 characters long.")
        )
    elif not SLUG_PATTERN.match(slug) or "--" in slug:
        errors.append(
            field_error(
                "slug",
                "invalid_slug",
                "Use lower-case letters, digits and single hyphens, not at the start or end.",
            )
        )
    elif slug in settings.CRM_RESERVED_SLUGS:
        errors.append(
            field_error("slug", "reserved_slug", f"'{slug}' is reserved; choose another address.")
        )
    errors += account_input_errors(
        email=owner_email,
        password=owner_password,
        email_field="owner_email",
        password_field="owner_password",
    )
    return errors


def create_workspace(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    build_schema: Callable[[str], None] = clone_template,
) -> Workspace:
    """Create a workspace with its schema, owner account and primary domain.

    All or nothing: on any failure no row, schema or domain remains. Raises InvalidInput
    (field details) or SlugTaken. `build_schema` makes the schema; the default clones
    the template, which is rebuilt first when missing or behind the migrations.
    """
    name, slug, owner_email = name.strip(), slug.strip().lower(), owner_email.strip()
    errors = workspace_input_errors(
        name=name, slug=slug, owner_email=owner_email, owner_password=owner_password
    )
    if errors:
        raise InvalidInput(details=errors)
    if Workspace.objects.filter(slug=slug).exists():
        raise SlugTaken()
    if build_schema is clone_template:
        ensure_template()

    started = time.perf_counter()
    schema_name = schema_name_for(slug)
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=name, slug=slug, schema_name=schema_name)
            build_schema(schema_name)
            with schema_context(schema_name):
                create_user(
                    email=owner_email,
                    password=owner_password,
                    full_name=owner_name,
                    role=User.Role.OWNER,
                )
            Domain.objects.create(domain=workspace.primary_host, tenant=workspace, is_primary=True)
            workspace_created.send(Workspace, workspace=workspace, owner_email=owner_email)
    except IntegrityError as error:
        if Workspace.objects.filter(slug=slug).exists() or "already exists" in str(error):
            raise SlugTaken() from None
        raise
    log.info(
        "workspace_created",
        workspace_id=workspace.pk,
        slug=slug,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return workspace
