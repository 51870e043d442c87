"""SMS segments on the bill: Settings → Billing shows the month's segments against the plan
(tenants.limits.usage), and staff set a plan's SMS limit in the console, which its
workspaces then follow. Another workspace's segments are not counted."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from billing.models import Plan
from mail.models import EmailUsage
from tenants.limits import this_month
from tenants.models import Workspace
from tests.support.console import make_staff_user, staff_console_client
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


def test_the_billing_page_shows_sms_segments_this_month(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        EmailUsage.objects.update_or_create(month=this_month(), defaults={"sms_segments": 1234})
    with schema_context(beta.workspace.schema_name):
        EmailUsage.objects.update_or_create(month=this_month(), defaults={"sms_segments": 7})
    for fixture in (alpha, beta):
        fixture.workspace.monthly_sms_segment_limit = 5000
        fixture.workspace.save(update_fields=["monthly_sms_segment_limit"])

    alpha_page = page_text(alpha.signed_in_client().get("/settings/billing/"))
    beta_page = page_text(beta.signed_in_client().get("/settings/billing/"))

    assert "SMS segments this month" in alpha_page
    assert "1,234 of 5,000" in alpha_page
    assert "7 of 5,000" in beta_page and "1,234" not in beta_page


def test_staff_set_a_plans_sms_limit_and_its_workspaces_follow(make_workspace) -> None:
    on_growth = make_workspace()  # trialing Growth
    make_staff_user()
    console = staff_console_client()
    with schema_context("public"):
        growth = Plan.objects.get(slug="growth")

    form = console.get(f"/console/plans/{growth.pk}/")
    fields = {
        "name": growth.name,
        "slug": growth.slug,
        "tagline": growth.tagline,
        "currency": growth.currency,
        "monthly_price": growth.monthly_price,
        "yearly_price": growth.yearly_price,
        "stripe_monthly_price_id": growth.stripe_monthly_price_id,
        "stripe_yearly_price_id": growth.stripe_yearly_price_id,
        "seat_limit": growth.seat_limit or "",
        "lead_limit": growth.lead_limit or "",
        "monthly_email_limit": growth.monthly_email_limit or "",
        "monthly_sms_segment_limit": "2500",
        "trial_days": growth.trial_days,
        "order": growth.order,
        "is_active": "on" if growth.is_active else "",
    }
    saved = console.post(f"/console/plans/{growth.pk}/", fields)

    assert form.status_code == 200
    assert "SMS segments a month" in page_text(form)
    assert 'name="monthly_sms_segment_limit"' in form.content.decode()
    assert saved.status_code == 302, page_text(saved)
    with schema_context("public"):
        assert Plan.objects.get(pk=growth.pk).monthly_sms_segment_limit == 2500
        assert Workspace.objects.get(pk=on_growth.workspace.pk).monthly_sms_segment_limit == 2500
