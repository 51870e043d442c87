"""Migration crm 0010: numbers typed before validation become E.164 where they are valid;
the others stay as typed (and so out of any SMS audience)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django_tenants.utils import schema_context

from crm.models import Lead
from crm.selectors.sms_audience import textable_leads

migration = importlib.import_module("crm.migrations.0010_lead_sms_consent")


def test_existing_numbers_are_normalised_and_invalid_ones_left_as_typed(two_workspaces) -> None:
    alpha, beta = two_workspaces
    typed = {
        "us@x.example": ("(202) 555-0143", "+12025550143"),
        "uk@x.example": ("+44 20 7946 0000", "+442079460000"),
        "short@x.example": ("+1 555", "+1 555"),
        "words@x.example": ("call after 5", "call after 5"),
        "none@x.example": ("", ""),
    }
    with schema_context(beta.workspace.schema_name):
        Lead.objects.create(email="beta@x.example", phone="(202) 555-0143")
    with schema_context(alpha.workspace.schema_name):
        for email, (phone, _) in typed.items():
            Lead.objects.create(
                email=email,
                phone=phone,
                sms_consent="opted_in",
                sms_consent_source="other",
                sms_consent_at="2026-01-01T00:00:00Z",
            )

        migration.normalise_phones(apps, None)
        stored = dict(Lead.objects.values_list("email", "phone"))
        textable = sorted(str(email) for email in textable_leads().values_list("email", flat=True))

    assert stored == {email: after for email, (_, after) in typed.items()}
    assert textable == ["uk@x.example", "us@x.example"]
    with schema_context(beta.workspace.schema_name):
        assert Lead.objects.get().phone == "(202) 555-0143"  # another schema: its own run
