"""The forms of the leads pages: a lead, the table's filters, a bulk action and the column
choice. They read what a person typed; the services check every value again."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from crm.models import CustomFieldDefinition, Lead, PipelineStage
from crm.selectors.leads import SORTS, LeadFilter
from crm.services.bulk import BulkAction
from tenants.time_zones import time_zone_names

DEFAULT_SORT = "-created_at"


def _stage_options(stages: list[PipelineStage]) -> list[tuple[str, str]]:
    return [(str(stage.pk), stage.name) for stage in stages]


def _owner_options(owners: list[User]) -> list[tuple[str, str]]:
    return [(str(owner.pk), owner.display_name) for owner in owners]


class LeadForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100, required=False)
    last_name = forms.CharField(label="Last name", max_length=100, required=False)
    email = forms.CharField(label="Email", max_length=254, required=False)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    company = forms.CharField(label="Company", max_length=200, required=False)
    status = forms.ChoiceField(label="Status", choices=Lead.Status.choices, initial="new")
    source = forms.ChoiceField(label="Source", choices=Lead.Source.choices, initial="other")
    stage = forms.TypedChoiceField(
        label="Stage", required=False, coerce=int, empty_value=None, choices=[]
    )
    owner = forms.TypedChoiceField(
        label="Owner", required=False, coerce=int, empty_value=None, choices=[]
    )
    tags = forms.CharField(
        label="Tags", required=False, help_text="Separate tags with commas: vip, webinar."
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sms_consent = forms.ChoiceField(
        label="SMS consent",
        required=False,  # left out: unchanged
        choices=Lead.SmsConsent.choices,
        initial=Lead.SmsConsent.UNKNOWN,
        help_text="Only leads opted in get campaign texts. A lead who texts STOP is opted out.",
    )
    sms_consent_source = forms.ChoiceField(
        label="How they agreed",
        required=False,
        choices=[("", "—"), *Lead.SmsConsentSource.choices],
        help_text="Needed when opted in; carriers ask for it to be kept.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=[],
        help_text="Campaign texts reach them between 08:00 and 21:00 on this clock.",
    )

    def __init__(
        self,
        *args: Any,
        stages: list[PipelineStage] | None = None,
        owners: list[User] | None = None,
        definitions: list[CustomFieldDefinition] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions or []
        for definition in self.definitions:
            self.fields[f"{CUSTOM_FIELD}{definition.key}"] = _custom_field_input(definition)
        stage_field = self.fields["stage"]
        owner_field = self.fields["owner"]
        assert isinstance(stage_field, forms.ChoiceField)
        assert isinstance(owner_field, forms.ChoiceField)
        stage_field.choices = [("", "No stage"), *_stage_options(stages or [])]
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [
            ("", "From the phone number"),
            *((name, name.replace("_", " ")) for name in time_zone_names()),
        ]
        owner_field.choices = [("", "Nobody"), *_owner_options(owners or [])]

    def custom_field_inputs(self) -> list[forms.BoundField]:
        return [self[f"{CUSTOM_FIELD}{definition.key}"] for definition in self.definitions]

    @staticmethod
    def initial_of(lead: Lead) -> dict[str, Any]:
        custom = {
            f"{CUSTOM_FIELD}{key}": ("yes" if value else "no") if isinstance(value, bool) else value
            for key, value in (lead.custom_fields or {}).items()
        }
        return custom | {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email or "",
            "phone": lead.phone,
            "company": lead.company,
            "status": lead.status,
            "source": lead.source,
            "stage": lead.stage_id,
            "owner": lead.owner_id,
            "tags": ", ".join(lead.tags),
            "notes": lead.notes,
            "sms_consent": lead.sms_consent,
            "sms_consent_source": lead.sms_consent_source,
            "time_zone": lead.time_zone,
        }

    def lead_values(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
        values["email"] = values["email"] or None
        if not values.get("sms_consent"):
            values.pop("sms_consent", None)
        if values.get("sms_consent") != Lead.SmsConsent.OPTED_IN:
            # The source goes with an opt-in; an opted-out lead keeps the one on record.
            values.pop("sms_consent_source", None)
        custom: dict[str, Any] = {}
        for definition in self.definitions:
            value = values.pop(f"{CUSTOM_FIELD}{definition.key}", None)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            elif definition.field_type == CustomFieldDefinition.FieldType.BOOLEAN:
                value = {"yes": True, "no": False}.get(value or "")
            if value not in (None, ""):
                custom[definition.key] = value
        if self.definitions:
            values["custom_fields"] = custom
        return values

    def error_fields(self) -> dict[str, str]:
        """The service names a custom field `custom_fields.<key>`; the form, `cf_<key>`."""
        return {
            f"custom_fields.{definition.key}": f"{CUSTOM_FIELD}{definition.key}"
            for definition in self.definitions
        }


CUSTOM_FIELD = "cf_"


def _custom_field_input(definition: CustomFieldDefinition) -> forms.Field:
    """The input of one custom field; the lead service checks the value against its type."""
    kind = CustomFieldDefinition.FieldType
    label = definition.label
    if definition.field_type == kind.NUMBER:
        return forms.FloatField(label=label, required=False)
    if definition.field_type == kind.DATE:
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
    if definition.field_type == kind.BOOLEAN:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "Not set"), ("yes", "Yes"), ("no", "No")]
        )
    if definition.field_type == kind.SELECT:
        options = [(str(option), str(option)) for option in definition.options or []]
        return forms.ChoiceField(label=label, required=False, choices=[("", "Not set"), *options])
    return forms.CharField(label=label, required=False, max_length=500)


class LeadSearchForm(forms.Form):
    """The table's filters and sort, read from the URL so that a filtered list can be shared
    and the back button returns to it."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Lead.Status.choices]
    )
    tag = forms.CharField(label="Tag", required=False, max_length=50)
    stage = forms.TypedChoiceField(
        label="Stage", required=False, coerce=int, empty_value=None, choices=[]
    )
    source = forms.ChoiceField(
        label="Source", required=False, choices=[("", "Any source"), *Lead.Source.choices]
    )
    owner = forms.TypedChoiceField(
        label="Owner", required=False, coerce=int, empty_value=None, choices=[]
    )
    created_from = forms.DateField(label="Added from", required=False)
    created_to = forms.DateField(label="Added until", required=False)
    field = forms.ChoiceField(label="Custom field", required=False, choices=[])
    value = forms.CharField(label="Custom field value", required=False, max_length=200)
    sort = forms.ChoiceField(label="Sort", required=False, choices=[(s, s) for s in SORTS])

    # The parameters that filter (the rest, sort and cursor, only order and page).
    FILTERS = ("q", "status", "tag", "stage", "source", "owner", "created_from", "created_to",
               "field", "value")  # fmt: skip

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None,
        *,
        stages: list[PipelineStage],
        owners: list[User],
        definitions: list[CustomFieldDefinition],
    ) -> None:
        super().__init__(data)
        self.definitions = {definition.key: definition for definition in definitions}
        for name, options in (
            ("stage", [("", "Any stage"), *_stage_options(stages)]),
            ("owner", [("", "Anyone"), *_owner_options(owners)]),
            ("field", [("", "Any custom field"), *[(d.key, d.label) for d in definitions]]),
        ):
            choice = self.fields[name]
            assert isinstance(choice, forms.ChoiceField)
            choice.choices = options

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end < start:
            self.add_error("created_to", "Pick a day on or after the first one.")
        key, text = data.get("field"), (data.get("value") or "").strip()
        if key and not text:
            self.add_error("value", "Give the value to look for.")
        elif text and not key:
            self.add_error("field", "Choose the custom field this value is for.")
        elif key:
            try:
                data["custom_value"] = custom_field_value(self.definitions[key], text)
            except ValueError as error:
                self.add_error("value", str(error))
        return data

    def criteria(self) -> LeadFilter:
        data = self.cleaned_data
        tag = data["tag"].strip().lower()
        return LeadFilter(
            q=data["q"] or None,
            status=data["status"] or None,
            tag=[tag] if tag else None,
            stage=data["stage"],
            source=data["source"] or None,
            owner=data["owner"],
            created_after=_start_of(data["created_from"]),
            created_before=_start_of(data["created_to"] + timedelta(days=1))
            if data["created_to"]
            else None,
            custom_fields={data["field"]: data["custom_value"]} if data.get("field") else None,
        )

    def sort_order(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else None) or DEFAULT_SORT

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.FILTERS)


def _start_of(day: date | None) -> datetime | None:
    """Midnight at the start of `day` in the active time zone (the workspace's)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def custom_field_value(definition: CustomFieldDefinition, text: str) -> Any:
    """The typed value a custom field holds for what a person typed; ValueError says why not."""
    kind = definition.field_type
    if kind == CustomFieldDefinition.FieldType.NUMBER:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{definition.label} holds numbers: type one, like 42.") from None
        return int(number) if number.is_integer() else number
    if kind == CustomFieldDefinition.FieldType.BOOLEAN:
        answer = text.lower()
        if answer in ("yes", "true", "1"):
            return True
        if answer in ("no", "false", "0"):
            return False
        raise ValueError(f"{definition.label} is yes or no.")
    if kind == CustomFieldDefinition.FieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{definition.label} holds dates: type one like 2026-03-31.") from None
    if kind == CustomFieldDefinition.FieldType.SELECT and text not in (definition.options or []):
        options = ", ".join(str(option) for option in definition.options or [])
        raise ValueError(f"{definition.label} is one of: {options}.")
    return text


class BulkActionForm(forms.Form):
    """A bulk action on the rows ticked (`ids`) or on every lead the filter (`filter`, the
    list's query string) matches."""

    action = forms.ChoiceField(
        label="Action",
        choices=[
            ("", "Choose an action"),
            (BulkAction.TAG, "Add a tag"),
            (BulkAction.UNTAG, "Remove a tag"),
            (BulkAction.ASSIGN_OWNER, "Assign an owner"),
            (BulkAction.MOVE_STAGE, "Move to a stage"),
            (BulkAction.DELETE, "Delete"),
        ],
    )
    tags = forms.CharField(label="Tags", required=False, max_length=500)
    owner = forms.TypedChoiceField(
        label="Owner", required=False, coerce=int, empty_value=None, choices=[]
    )
    stage = forms.TypedChoiceField(
        label="Stage", required=False, coerce=int, empty_value=None, choices=[]
    )
    scope = forms.ChoiceField(
        choices=[("selected", "The leads ticked"), ("filter", "Every lead matching the filter")],
        initial="selected",
    )
    filter = forms.CharField(required=False, max_length=2000)

    def __init__(
        self, data: QueryDict | None, *, stages: list[PipelineStage], owners: list[User]
    ) -> None:
        super().__init__(data)
        self.ids: list[int] = []
        if data is not None:
            self.ids = sorted({int(raw) for raw in data.getlist("ids") if raw.isdigit()})
        for name, options in (
            ("stage", [("", "No stage"), *_stage_options(stages)]),
            ("owner", [("", "Nobody (unassign)"), *_owner_options(owners)]),
        ):
            choice = self.fields[name]
            assert isinstance(choice, forms.ChoiceField)
            choice.choices = options
        self.owner_names = dict(_owner_options(owners))
        self.stage_names = dict(_stage_options(stages))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if data.get("scope") == "selected" and not self.ids:
            self.add_error(None, "Tick the leads first, or choose every lead matching the filter.")
        if action in (BulkAction.TAG, BulkAction.UNTAG) and not self.tag_list(data):
            self.add_error("tags", "Type the tag, or several separated by commas.")
        return data

    def tag_list(self, data: dict[str, Any] | None = None) -> list[str]:
        text = (data or self.cleaned_data).get("tags") or ""
        return sorted({tag.strip().lower() for tag in text.split(",") if tag.strip()})

    def value(self) -> Any:
        action = self.cleaned_data["action"]
        if action in (BulkAction.TAG, BulkAction.UNTAG):
            return self.tag_list()
        if action == BulkAction.ASSIGN_OWNER:
            return self.cleaned_data["owner"]
        if action == BulkAction.MOVE_STAGE:
            return self.cleaned_data["stage"]
        return None

    def describe(self, count: int) -> str:
        """The question the confirmation asks, naming the count."""
        leads = f"{count:,} lead{'' if count == 1 else 's'}"
        action = self.cleaned_data["action"]
        if action == BulkAction.DELETE:
            return f"Delete {leads}? This cannot be undone."
        if action == BulkAction.TAG:
            return f"Tag {leads} with {', '.join(self.tag_list())}?"
        if action == BulkAction.UNTAG:
            return f"Remove {', '.join(self.tag_list())} from {leads}?"
        if action == BulkAction.ASSIGN_OWNER:
            owner = self.cleaned_data["owner"]
            if owner is None:
                return f"Unassign {leads}?"
            return f"Assign {leads} to {self.owner_names.get(str(owner), 'this member')}?"
        stage = self.cleaned_data["stage"]
        if stage is None:
            return f"Take {leads} out of the pipeline?"
        return f"Move {leads} to {self.stage_names.get(str(stage), 'this stage')}?"

    def button(self, count: int) -> str:
        """The confirming button's words: what it does, to how many."""
        leads = f"{count:,} lead{'' if count == 1 else 's'}"
        verbs = {
            BulkAction.DELETE: "Delete",
            BulkAction.TAG: "Tag",
            BulkAction.UNTAG: "Untag",
            BulkAction.ASSIGN_OWNER: "Assign",
            BulkAction.MOVE_STAGE: "Move",
        }
        return f"{verbs[BulkAction(self.cleaned_data['action'])]} {leads}"

    def done(self, count: int) -> str:
        """The toast once it is done."""
        leads = f"{count:,} lead{'' if count == 1 else 's'}"
        action = self.cleaned_data["action"]
        if action == BulkAction.DELETE:
            return f"Deleted {leads}."
        if action == BulkAction.TAG:
            return f"Tagged {leads} with {', '.join(self.tag_list())}."
        if action == BulkAction.UNTAG:
            return f"Removed {', '.join(self.tag_list())} from {leads}."
        if action == BulkAction.ASSIGN_OWNER:
            owner = self.cleaned_data["owner"]
            if owner is None:
                return f"Unassigned {leads}."
            return f"Assigned {leads} to {self.owner_names.get(str(owner), 'the member')}."
        stage = self.cleaned_data["stage"]
        if stage is None:
            return f"Took {leads} out of the pipeline."
        return f"Moved {leads} to {self.stage_names.get(str(stage), 'the stage')}."


def filter_query(data: QueryDict) -> str:
    """The filter part of a list's query string (no sort, no cursor), as the URL had it."""
    kept = QueryDict(mutable=True)
    for name in LeadSearchForm.FILTERS:
        for value in data.getlist(name):
            if value:
                kept.appendlist(name, value)
    return kept.urlencode()
