"""The merge fields a template may use, for the picker on the campaign form.

Read off the very values a template is rendered with (`template_values` with the sample
lead), so that a field added to or removed from what templates see appears in, or leaves,
the picker by itself; the workspace's custom fields come from their definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crm.models import CustomFieldDefinition
from outreach.mail_templates import SAMPLE_LEAD, Sender, template_values

# What a person reads on each button; a field without a label here reads as its name.
LABELS = {
    "lead.first_name": "First name",
    "lead.last_name": "Last name",
    "lead.full_name": "Full name",
    "lead.email": "Email",
    "lead.phone": "Phone",
    "lead.company": "Company",
    "lead.source": "Source",
    "lead.status": "Status",
    "lead.stage": "Pipeline stage",
    "lead.tags": "Tags",
    "workspace.name": "Workspace name",
    "workspace.postal_address": "Postal address",
    "workspace.url": "Workspace address",
    "unsubscribe_url": "Unsubscribe link",
}
GROUP_TITLES = {"lead": "Lead", "workspace": "Workspace", "": "Links"}
CUSTOM_FIELDS = "custom_fields"
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class MergeField:
    label: str
    expression: str  # what the picker inserts, e.g. {{ lead.first_name }}


@dataclass(frozen=True)
class MergeFieldGroup:
    title: str
    fields: list[MergeField] = field(default_factory=list)


def _output(path: str, value: object) -> str:
    if isinstance(value, list):  # a list reads best joined
        return "{{ " + path + ' | join: ", " }}'
    return "{{ " + path + " }}"


def _label(path: str) -> str:
    return LABELS.get(path, path.rpartition(".")[2].replace("_", " ").capitalize())


def merge_fields() -> list[MergeFieldGroup]:
    """Every field a campaign template can show, grouped as the picker lists them."""
    values = template_values(
        lead=SAMPLE_LEAD,
        sender=Sender("Sample workspace", "1 Sample Street", "https://example.com"),
        unsubscribe_url="https://example.com/unsubscribe/sample/",
    )
    groups: dict[str, MergeFieldGroup] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            group = groups.setdefault(name, MergeFieldGroup(GROUP_TITLES.get(name, name)))
            for key, inner in value.items():
                if key == CUSTOM_FIELDS:
                    continue
                path = f"{name}.{key}"
                group.fields.append(MergeField(_label(path), _output(path, inner)))
        else:
            group = groups.setdefault("", MergeFieldGroup(GROUP_TITLES[""]))
            group.fields.append(MergeField(_label(name), _output(name, value)))
    lead = values.get("lead")
    definitions = list(CustomFieldDefinition.objects.order_by("label", "key"))
    if isinstance(lead, dict) and CUSTOM_FIELDS in lead and definitions:
        custom = MergeFieldGroup("Custom fields")
        for definition in definitions:
            key = definition.key
            path = (
                f"lead.{CUSTOM_FIELDS}." + key
                if PLAIN_NAME.match(key)
                else (f'lead.{CUSTOM_FIELDS}["{key}"]')
            )
            custom.fields.append(MergeField(definition.label, _output(path, "")))
        groups["custom"] = custom
    order = ["lead", "custom", "workspace", ""]
    return [
        groups[key] for key in sorted(groups, key=lambda k: order.index(k) if k in order else 9)
    ]
