"""Forms of the campaign and email settings pages. They turn what a person typed into the
shapes the services take (an audience dict, an aware datetime); the services decide the rest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django import forms

from crm.models import CustomFieldDefinition, Lead, PipelineStage
from outreach.models import Campaign
from outreach.services.campaigns import SMS_TEMPLATE_MAX
from project.inputs import storable_datetime

# Audience criteria the form edits, and the form field that shows each one's errors.
FORM_CRITERIA = {
    "tag": "tags",
    "status": "status",
    "source": "source",
    "stage": "stage",
    "custom_fields": "custom_value",
}
TRUE_WORDS = frozenset({"yes", "true", "1", "y", "on"})
FALSE_WORDS = frozenset({"no", "false", "0", "n", "off"})


def _template_area(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "template", "spellcheck": "true"})


class AudienceForm(forms.Form):
    """The criteria of an audience: tags, status, source, stage and one custom field. Criteria
    the form cannot show (set through the API) ride along in `kept_criteria`, untouched."""

    tags = forms.CharField(
        required=False,
        max_length=1000,
        label="Tags",
        help_text="Separate tags with commas; a lead needs every one of them.",
        widget=forms.TextInput(attrs={"placeholder": "webinar-2026, vip"}),
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Lead.Status.choices], label="Status"
    )
    source = forms.ChoiceField(
        required=False, choices=[("", "Any source"), *Lead.Source.choices], label="Source"
    )
    stage = forms.ModelChoiceField(
        required=False,
        queryset=PipelineStage.objects.all(),
        empty_label="Any stage",
        label="Pipeline stage",
    )
    custom_field = forms.ChoiceField(required=False, label="Custom field")
    custom_value = forms.CharField(required=False, max_length=500, label="Value")
    kept_criteria = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {d.key: d for d in CustomFieldDefinition.objects.all()}
        choices = [("", "No custom field")] + [(d.key, d.label) for d in self.definitions.values()]
        chosen = self.data.get("custom_field") or self.initial.get("custom_field")
        if chosen and chosen not in self.definitions:
            # A key saved through the API before its definition was removed: still shown.
            choices.append((chosen, chosen))
        self.fields["custom_field"].choices = choices  # type: ignore[attr-defined]

    def clean_kept_criteria(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("kept_criteria") or ""
        if not raw:
            return {}
        try:
            kept = json.loads(raw)
        except json.JSONDecodeError:
            kept = None
        if not isinstance(kept, dict):
            raise forms.ValidationError("Reload the page: the saved criteria were garbled.")
        return kept

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        key, raw = cleaned.get("custom_field"), (cleaned.get("custom_value") or "").strip()
        if key and not raw:
            self.add_error("custom_value", "Give the value the custom field must have.")
        elif raw and not key:
            self.add_error("custom_field", "Choose the custom field this value is for.")
        elif key:
            try:
                cleaned["custom_value"] = self._typed(key, raw)
            except ValueError as error:
                self.add_error("custom_value", str(error))
        return cleaned

    def _typed(self, key: str, raw: str) -> Any:
        """The value as the lead stores it: a number, yes/no or text, by the field's type."""
        definition = self.definitions.get(key)
        kind = definition.field_type if definition else CustomFieldDefinition.FieldType.TEXT
        if kind == CustomFieldDefinition.FieldType.NUMBER:
            try:
                number = float(raw)
            except ValueError:
                raise ValueError("Give a number.") from None
            return int(number) if number.is_integer() and "." not in raw else number
        if kind == CustomFieldDefinition.FieldType.BOOLEAN:
            if raw.lower() in TRUE_WORDS:
                return True
            if raw.lower() in FALSE_WORDS:
                return False
            raise ValueError("Give yes or no.")
        return raw

    def audience(self) -> dict[str, Any]:
        """The criteria as the services take them (call after is_valid())."""
        data = self.cleaned_data
        audience: dict[str, Any] = dict(data.get("kept_criteria") or {})
        tags = [tag.strip() for tag in (data.get("tags") or "").split(",") if tag.strip()]
        if tags:
            audience["tag"] = tags
        for name in ("status", "source"):
            if data.get(name):
                audience[name] = data[name]
        if data.get("stage") is not None:
            audience["stage"] = data["stage"].pk
        if data.get("custom_field"):
            kept_fields = audience.get("custom_fields")
            audience["custom_fields"] = {
                **(kept_fields if isinstance(kept_fields, dict) else {}),
                data["custom_field"]: data["custom_value"],
            }
        return audience

    def kept_summary(self) -> list[tuple[str, str]]:
        """The criteria kept from the API, for the page to say they still apply."""
        if self.is_bound:
            try:
                kept = json.loads(self.data.get("kept_criteria") or "{}")
            except json.JSONDecodeError:
                kept = {}
        else:
            kept = json.loads(self.initial.get("kept_criteria") or "{}")
        if not isinstance(kept, dict):
            return []
        rows = []
        for name, value in kept.items():
            if isinstance(value, dict):
                rows += [(f"{name}.{key}", str(inner)) for key, inner in value.items()]
            else:
                rows.append(
                    (name, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
                )
        return rows


CHANNEL_CHOICES = [("email", "Email"), ("sms", "SMS")]


class CampaignForm(AudienceForm):
    """A campaign's content and audience. An SMS campaign's form has the message only: a
    text has no subject and no HTML part, so those fields are not offered at all."""

    channel = forms.ChoiceField(
        required=False, choices=CHANNEL_CHOICES, initial="email", widget=forms.HiddenInput
    )
    name = forms.CharField(max_length=200, label="Campaign name")
    subject = forms.CharField(required=False, max_length=255, label="Subject")
    body_template = forms.CharField(
        required=False, max_length=200_000, label="Text", widget=_template_area(12)
    )
    html_template = forms.CharField(
        required=False,
        max_length=500_000,
        label="HTML (optional)",
        help_text="Leave empty to send the text, laid out as simple HTML.",
        widget=_template_area(8),
    )
    field_order = ["name", "subject", "body_template", "html_template"]
    # The fields the merge-field picker inserts into, and how it names each.
    merge_targets = {"subject": "Subject", "body_template": "Text", "html_template": "HTML"}

    def __init__(self, *args: Any, channel: str = "email", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_channel = channel if channel in dict(CHANNEL_CHOICES) else "email"
        self.initial["channel"] = self.chosen_channel
        if self.is_bound:
            # What the page shows follows the channel posted, not the one asked for in the URL.
            posted = self.data.get("channel")
            self.chosen_channel = posted if posted in dict(CHANNEL_CHOICES) else "email"
        if self.chosen_channel == "sms":
            del self.fields["subject"], self.fields["html_template"]
            body = self.fields["body_template"]
            body.label = "Message"
            body.max_length = SMS_TEMPLATE_MAX  # type: ignore[attr-defined]
            body.help_text = (
                "Merge fields work as in email. “Reply STOP to opt out” is added on a line of "
                "its own unless your text already says how to opt out."
            )
            body.widget = _template_area(6)
            body.widget.attrs.update({"data-sms-composer": "", "maxlength": SMS_TEMPLATE_MAX})
            self.merge_targets = {"body_template": "Message"}
        for name, label in self.merge_targets.items():
            self.fields[name].widget.attrs["data-merge-target"] = label

    def clean_body_template(self) -> str:
        text: str = self.cleaned_data.get("body_template") or ""
        # Browsers post a textarea's lines as CRLF; a text counts (and is billed) by what the
        # member sees, one character per line break.
        return text.replace("\r\n", "\n") if self.is_sms else text

    @property
    def is_sms(self) -> bool:
        return self.chosen_channel == "sms"

    def campaign_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "channel": self.chosen_channel,
            "subject": data.get("subject", ""),
            "body_template": data["body_template"],
            "html_template": data.get("html_template", ""),
            "audience": self.audience(),
        }


def campaign_initial(campaign: Campaign) -> dict[str, Any]:
    """A saved campaign as the form's initial values; criteria the form has no field for are
    kept aside (and the custom fields after the first one)."""
    audience = dict(campaign.audience or {})
    custom_fields = dict(audience.pop("custom_fields", None) or {})
    first_key = next(iter(custom_fields), None)
    first_value = custom_fields.pop(first_key) if first_key is not None else ""
    stage = audience.pop("stage", None)
    initial: dict[str, Any] = {
        "channel": campaign.channel,
        "name": campaign.name,
        "subject": campaign.subject,
        "body_template": campaign.body_template,
        "html_template": campaign.html_template,
        "tags": ", ".join(audience.pop("tag", None) or []),
        "status": audience.pop("status", ""),
        "source": audience.pop("source", ""),
        "stage": stage if PipelineStage.objects.filter(pk=stage).exists() else None,
        "custom_field": first_key or "",
        "custom_value": _shown(first_value),
    }
    if stage is not None and initial["stage"] is None:
        audience["stage"] = stage  # a stage deleted since: the criterion still stands
    if custom_fields:
        audience["custom_fields"] = custom_fields
    initial["kept_criteria"] = json.dumps(audience) if audience else ""
    return initial


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def campaign_error_field(detail_field: str) -> str:
    """The form field that shows a service error about `detail_field` (`audience.tag.0`...)."""
    if detail_field.startswith("audience."):
        return FORM_CRITERIA.get(detail_field.split(".")[1], "__all__")
    return detail_field


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label="Send at",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": "Pick a date and time.", "invalid": "Pick a date and time."},
    )
    # Minutes behind UTC of the browser at that date (JavaScript's getTimezoneOffset());
    # without it the time is taken as UTC.
    tz_offset = forms.IntegerField(
        required=False, min_value=-14 * 60, max_value=14 * 60, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "scheduled_at" in cleaned:
            try:
                storable_datetime(self.when())
            except ValueError:
                self.add_error("scheduled_at", "Pick a date before the year 10000.")
        return cleaned

    def when(self) -> datetime:
        """The chosen moment, aware (call after is_valid())."""
        chosen: datetime = self.cleaned_data["scheduled_at"]
        offset = self.cleaned_data.get("tz_offset")
        if offset is None:
            return chosen
        local = dt_timezone(timedelta(minutes=-offset))
        return chosen.replace(tzinfo=None).replace(tzinfo=local)


class TestSmsForm(forms.Form):
    to = forms.CharField(
        max_length=40,
        label="Your mobile number",
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+44 7700 900123"}
        ),
    )


def _code_input(placeholder: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "placeholder": placeholder,
            "autocapitalize": "none",
            "spellcheck": "false",
            "autocomplete": "off",
        }
    )


def _secret_input() -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": "new-password", "spellcheck": "false"})


class SmsAccountForm(forms.Form):
    """The workspace's Twilio account. A secret left empty keeps the stored one (it is never
    shown again); the service checks everything with Twilio before saving."""

    account_sid = forms.CharField(
        max_length=34,
        label="Account SID",
        help_text="In the Twilio console, Account info: AC followed by 32 characters.",
        widget=_code_input("AC…"),
        error_messages={"required": "Paste your account SID from the Twilio console."},
    )
    auth_token = forms.CharField(
        required=False, max_length=128, label="Auth token", widget=_secret_input()
    )
    api_key_sid = forms.CharField(
        required=False,
        max_length=34,
        label="API key SID (optional)",
        help_text="Instead of the auth token or beside it. Empty this field to remove the key.",
        widget=_code_input("SK…"),
    )
    api_key_secret = forms.CharField(
        required=False, max_length=128, label="API key secret", widget=_secret_input()
    )
    phone_number = forms.CharField(
        required=False,
        max_length=32,
        label="Sender number",
        help_text="A Twilio number that can send SMS, with its country code.",
        widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+14155550123"}),
    )
    messaging_service_sid = forms.CharField(
        required=False,
        max_length=34,
        label="Or a messaging service SID",
        help_text="MG…: Twilio picks the number from the service's pool. Give one sender only.",
        widget=_code_input("MG…"),
    )
    send_rate = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=1,
        label="Messages per second",
        help_text="What Twilio allows your sender: 1 for a long code in the US, more for a "
        "toll-free number, short code or messaging service.",
    )
    help_text = forms.CharField(
        required=False,
        max_length=320,
        label="Answer to HELP",
        help_text="What a lead who texts HELP gets back, 320 characters at most. Empty: "
        "your workspace's name, why they get texts and how to stop them.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 320}),
    )

    def __init__(self, *args: Any, stored_secrets: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, last4 in (stored_secrets or {}).items():
            if last4:
                field = self.fields[name]
                field.help_text = f"Saved, ending …{last4}. Leave empty to keep it."
                field.widget.attrs["placeholder"] = f"•••• {last4}"

    def account_values(self) -> dict[str, Any]:
        """What the service takes (call after is_valid()): an empty secret keeps the stored one."""
        data = self.cleaned_data
        return {
            "account_sid": data["account_sid"].strip(),
            "auth_token": data["auth_token"] or None,
            "api_key_sid": data["api_key_sid"].strip(),
            "api_key_secret": data["api_key_secret"] or None,
            "phone_number": data["phone_number"].strip(),
            "messaging_service_sid": data["messaging_service_sid"].strip(),
            "send_rate": data["send_rate"],
            "help_text": data["help_text"],
        }


class EmailSettingsForm(forms.Form):
    postal_address = forms.CharField(
        required=False,
        max_length=500,
        label="Postal address",
        help_text="Printed at the bottom of every campaign email, as the law asks.",
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "Studio name\nStreet\nTown, postcode"}
        ),
    )
    reply_to = forms.EmailField(
        required=False,
        label="Reply-to address",
        help_text="Where replies to your email go. Empty: to the From address of Sending identity.",
    )


class SenderForm(forms.Form):
    from_name = forms.CharField(
        required=False,
        max_length=100,
        label="From name",
        help_text="What inboxes show as the sender. Empty: your workspace's name.",
    )
    from_email = forms.EmailField(
        required=False,
        max_length=254,
        label="From address",
        help_text="Your own address, such as hello@yourstudio.com. Until its domain is "
        "verified below, replies come to it and email goes from our address.",
    )


class SendingDomainForm(forms.Form):
    domain = forms.CharField(
        max_length=253,
        label="Your domain",
        help_text="The part after the @ of your From address.",
        error_messages={"required": "Enter your domain, such as yourstudio.com."},
        widget=forms.TextInput(
            attrs={"placeholder": "yourstudio.com", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
