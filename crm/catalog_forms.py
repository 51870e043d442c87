"""The settings forms for the pipeline and custom fields; the catalog services check every
value again."""

from __future__ import annotations

from typing import Any

from django import forms

from crm.models import CustomFieldDefinition


class StageForm(forms.Form):
    name = forms.CharField(label="Stage name", max_length=60)


class FieldDefinitionForm(forms.Form):
    label = forms.CharField(label="Label", max_length=100, help_text="What the lead page shows.")
    key = forms.CharField(
        label="Key",
        max_length=50,
        help_text="How the API and CSV imports name it: lower-case letters, digits and _; "
        "it cannot change later.",
    )
    field_type = forms.ChoiceField(label="Type", choices=CustomFieldDefinition.FieldType.choices)
    options = forms.CharField(
        label="Choices",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a choice field: one option per line.",
    )
    required = forms.BooleanField(label="Every lead must have a value", required=False)

    def definition_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["options"] = [
            line.strip() for line in values.get("options", "").splitlines() if line.strip()
        ]
        return values


class FieldDefinitionEditForm(FieldDefinitionForm):
    """Key and type are fixed once a field exists: values are stored under the key and
    written for the type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["key"]
        del self.fields["field_type"]
