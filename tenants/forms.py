from __future__ import annotations

from django import forms

from tenants.time_zones import time_zone_names

LOGO_TYPES = "image/png,image/jpeg,image/gif,image/webp"


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


class WorkspaceProfileForm(forms.Form):
    name = forms.CharField(label="Workspace name", max_length=100)
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Every date and time in the app, for every member, is shown in this zone.",
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG, GIF or WebP, at most 512 KB; square images look best.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_logo = forms.BooleanField(label="Remove the logo", required=False)
    attribution_window_days = forms.IntegerField(
        label="Attribution window (days)",
        required=False,  # left empty: the window stays as it is
        min_value=1,
        max_value=90,
        help_text="A payment is credited to the last campaign whose email the lead clicked "
        "within this many days before paying. 1 to 90; 7 unless you change it.",
        widget=forms.NumberInput(attrs={"min": "1", "max": "90", "inputmode": "numeric"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["time_zone"].choices = [  # type: ignore[attr-defined]
            (name, name.replace("_", " ")) for name in time_zone_names()
        ]


class DeleteWorkspaceForm(forms.Form):
    confirm_slug = forms.CharField(label="Type the workspace address to confirm", max_length=60)
