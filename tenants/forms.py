from __future__ import annotations

from django import forms


class SignUpForm(forms.Form):
    name = forms.CharField(
        label="Business name",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Acme Coaching"}),
    )
    slug = forms.CharField(
        label="Your address",
        max_length=60,
        required=False,
        help_text="Letters, digits and hyphens; 3 to 40 characters.",
        widget=forms.TextInput(attrs={"placeholder": "acme"}),
    )
    owner_name = forms.CharField(label="Your name", max_length=150, required=False)
    owner_email = forms.CharField(
        label="Your email",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    owner_password = forms.CharField(
        label="Choose a password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class WaitlistForm(forms.Form):
    email = forms.CharField(
        label="Your email",
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com"}),
    )


class FindWorkspaceForm(forms.Form):
    email = forms.CharField(
        label="Your email",
        max_length=254,
        required=False,
        help_text="The address you sign in with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com"}),
    )
