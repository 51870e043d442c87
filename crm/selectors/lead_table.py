"""What the leads table can show: its columns, each member's choice of them, and the
choices its filters offer (stages, active members, custom fields)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import User
from crm.models import CustomFieldDefinition, LeadTableColumns, PipelineStage

CUSTOM_PREFIX = "cf:"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str | None = None  # the field of crm.selectors.leads.SORTS it sorts by


# The name column is always first and always shown; these are the ones a member picks from.
BUILT_IN_COLUMNS: tuple[Column, ...] = (
    Column("email", "Email"),
    Column("phone", "Phone"),
    Column("company", "Company"),
    Column("status", "Status", "status"),
    Column("stage", "Stage", "stage_id"),
    Column("owner", "Owner", "owner_id"),
    Column("source", "Source"),
    Column("tags", "Tags"),
    Column("last_contacted", "Last contacted", "last_contacted_at"),
    Column("created", "Added", "created_at"),
    Column("updated", "Updated", "updated_at"),
)
DEFAULT_COLUMNS = ("email", "company", "status", "stage", "owner", "tags", "created")
NAME_COLUMN = Column("name", "Name", "last_name")


def custom_field_definitions() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.order_by("label", "key"))


def available_columns(definitions: list[CustomFieldDefinition]) -> list[Column]:
    """Every column the table can show: the built-in ones, then one per custom field."""
    custom = [Column(f"{CUSTOM_PREFIX}{field.key}", field.label) for field in definitions]
    return [*BUILT_IN_COLUMNS, *custom]


def chosen_columns(user: User, definitions: list[CustomFieldDefinition]) -> list[Column]:
    """The columns this member chose, in the table's order (the defaults until they choose);
    a custom field deleted since is dropped."""
    saved = LeadTableColumns.objects.filter(user=user).values_list("columns", flat=True).first()
    keys = set(DEFAULT_COLUMNS if saved is None else saved)
    return [column for column in available_columns(definitions) if column.key in keys]


def stage_choices() -> list[PipelineStage]:
    return list(PipelineStage.objects.order_by("order", "id"))


def owner_choices() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("email"))
