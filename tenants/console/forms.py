"""Console forms. Fields are lenient on purpose: the services validate and say why."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator

from billing.models import Plan
from billing.services.plans import PLAN_FIELDS


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


class PlanForm(forms.ModelForm):
    """A plan as staff edit it: the names, prices, Stripe price ids, limits (empty is
    unlimited), the trial and whether it is on sale."""

    class Meta:
        model = Plan
        fields = list(PLAN_FIELDS)
        labels = {
            "stripe_monthly_price_id": "Stripe price id (monthly)",
            "stripe_yearly_price_id": "Stripe price id (yearly)",
            "seat_limit": "Seats",
            "lead_limit": "Leads",
            "monthly_email_limit": "Emails a month",
            "monthly_sms_segment_limit": "SMS segments a month",
            "trial_days": "Trial days",
            "order": "Order on the pricing page",
            "is_active": "On sale",
        }
        help_texts = {
            "stripe_monthly_price_id": "From Stripe (price_…); empty: not sold monthly.",
            "stripe_yearly_price_id": "Empty: not sold yearly.",
            "seat_limit": "Empty means unlimited.",
            "lead_limit": "Empty means unlimited.",
            "monthly_email_limit": "Empty means unlimited.",
            "monthly_sms_segment_limit": "Empty means unlimited. A text of up to 160 plain "
            "characters is one segment.",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for price in ("monthly_price", "yearly_price"):
            self.fields[price].validators.append(MinValueValidator(Decimal("0")))
            self.fields[price].widget.attrs["min"] = "0"
        if self.instance.pk:
            # The slug names the plan in settings (CRM_TRIAL_PLAN, CRM_FREE_PLAN): fixed.
            self.fields["slug"].disabled = True
