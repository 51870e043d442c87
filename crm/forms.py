"""The lead form of the workspace pages; the lead service checks every value again."""

from __future__ import annotations

from typing import Any

from django import forms

from crm.models import Lead


class LeadForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    email = forms.CharField(label="Email", max_length=254, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    company = forms.CharField(label="Company", max_length=200, required=False)
    status = forms.ChoiceField(label="Status", choices=Lead.Status.choices, initial="new")
    source = forms.ChoiceField(label="Source", choices=Lead.Source.choices, initial="other")
    tags = forms.CharField(
        label="Tags", required=False, help_text="Separate tags with commas: vip, webinar."
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def lead_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
        values["email"] = values["email"] or None
        return values


class LeadSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Lead.Status.choices]
    )
    tag = forms.CharField(label="Tag", required=False, max_length=50)
