"""The forms of a lead's page: log an interaction, add a task, add a tag, its custom fields.
They check the shape of what was typed; the services check the rest."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import User
from crm.models import CustomFieldDefinition, Message

LOGGED_CHANNELS = [
    (Message.Channel.NOTE, "Note"),
    (Message.Channel.CALL, "Call"),
    (Message.Channel.MEETING, "Meeting"),
]
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# A clock a little ahead of ours is not "the future".
FUTURE_GRACE = timedelta(minutes=5)


def member_choices(members: list[User], empty: str) -> list[tuple[str, str]]:
    return [("", empty)] + [(str(member.pk), member.display_name) for member in members]


class LogForm(forms.Form):
    channel = forms.ChoiceField(label="What", choices=LOGGED_CHANNELS, initial="note")
    subject = forms.CharField(label="Subject", max_length=255, required=False)
    body = forms.CharField(
        label="What happened",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    occurred_at = forms.DateTimeField(
        label="When", required=False, widget=MOMENT, help_text="Leave empty for now."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("subject") or "").strip() and not (data.get("body") or "").strip():
            self.add_error("body", "Write what happened, or give it a subject.")
        moment = data.get("occurred_at")
        if moment is not None and moment > timezone.now() + FUTURE_GRACE:
            self.add_error("occurred_at", "That is in the future; log it once it has happened.")
        return data


class TaskForm(forms.Form):
    title = forms.CharField(label="Task", max_length=200)
    due_at = forms.DateTimeField(label="Due", required=False, widget=MOMENT)
    assignee = forms.ChoiceField(label="Assignee", required=False)

    def __init__(self, *args: Any, members: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)
        assignee.choices = member_choices(members, "Nobody")


class TagForm(forms.Form):
    tag = forms.CharField(label="Add a tag", max_length=50)


BOOLEAN_CHOICES = [("", "Not set"), ("yes", "Yes"), ("no", "No")]


def _custom_field(definition: CustomFieldDefinition) -> forms.Field:
    kind = CustomFieldDefinition.FieldType
    common: dict[str, Any] = {"label": definition.label, "required": definition.required}
    if definition.field_type == kind.NUMBER:
        return forms.DecimalField(**common, widget=forms.NumberInput(attrs={"step": "any"}))
    if definition.field_type == kind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    if definition.field_type == kind.BOOLEAN:
        return forms.ChoiceField(**common, choices=BOOLEAN_CHOICES)
    if definition.field_type == kind.SELECT:
        options = [(str(option), str(option)) for option in definition.options or []]
        return forms.ChoiceField(**common, choices=[("", "Not set"), *options])
    return forms.CharField(**common, max_length=1000)


def _initial(definition: CustomFieldDefinition, value: Any) -> Any:
    if definition.field_type == CustomFieldDefinition.FieldType.BOOLEAN and value is not None:
        return "yes" if value else "no"
    return value


class CustomFieldsForm(forms.Form):
    """One typed input per definition of the workspace, named by its key."""

    def __init__(
        self,
        *args: Any,
        definitions: list[CustomFieldDefinition],
        values: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {definition.key: definition for definition in definitions}
        for definition in definitions:
            self.fields[definition.key] = _custom_field(definition)
            self.initial[definition.key] = _initial(definition, values.get(definition.key))

    def values(self) -> dict[str, Any]:
        """The cleaned inputs as the lead stores them; an empty input clears its field."""
        stored: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if value in ("", None):
                stored[key] = None
            elif isinstance(value, Decimal):
                stored[key] = int(value) if value == value.to_integral_value() else float(value)
            elif isinstance(value, date):
                stored[key] = value.isoformat()
            elif self.definitions[key].field_type == CustomFieldDefinition.FieldType.BOOLEAN:
                stored[key] = value == "yes"
            else:
                stored[key] = value
        return stored
