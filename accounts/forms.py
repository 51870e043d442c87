from __future__ import annotations

from django import forms

from accounts.models import User


class SignInForm(forms.Form):
    email = forms.EmailField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    remember_me = forms.BooleanField(required=False, label="Keep me signed in for 30 days")


class EmailForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[(User.Role.MEMBER, "Member"), (User.Role.ADMIN, "Admin")])


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[(User.Role.MEMBER, "Member"), (User.Role.ADMIN, "Admin")])


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Key name")
