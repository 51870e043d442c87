"""Console forms. Fields are lenient on purpose: the services validate and say why."""

from __future__ import annotations

from django import forms


class StaffSignInForm(forms.Form):
    email = forms.CharField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class NewWorkspaceForm(forms.Form):
    name = forms.CharField(
        label="Workspace name",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Acme Coaching"}),
    )
    slug = forms.CharField(
        label="Address",
        max_length=60,
        required=False,
        help_text="Letters, digits and hyphens; 3 to 40 characters.",
        widget=forms.TextInput(attrs={"placeholder": "acme"}),
    )
    owner_name = forms.CharField(label="Owner's name", max_length=150, required=False)
    owner_email = forms.CharField(
        label="Owner's email",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    owner_password = forms.CharField(
        label="Owner's first password",
        required=False,
        help_text="Give it to the owner over a safe channel; they can reset it by email.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
