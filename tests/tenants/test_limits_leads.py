"""The plan's lead limit, at its edge, through the API, the pages and the CSV import."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import EventLog, LeadImport
from tests.support.clients import api, post
from tests.support.email import add_leads
from tests.support.imports import import_id_of, mapping_form
from tests.support.imports import upload as upload_page
from tests.support.leads import upload as upload_api
from tests.support.limits import lead_total, refusal, set_limits
from tests.support.pages import page_text

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_lead(client, email: str):
    return post(client, "/api/v1/leads", {"email": email, "first_name": "Ada"})


def test_the_last_lead_the_plan_allows_is_created_and_the_next_is_402(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 4)
    set_limits(fixture.workspace, lead_limit=5)
    client = api(fixture)

    at_limit = new_lead(client, "fifth@example.com")
    over = new_lead(client, "sixth@example.com")

    assert at_limit.status_code == 201, at_limit.content
    error = refusal(over)
    assert error["code"] == "plan_limit_reached"
    assert error["message"] == (
        "Your Growth plan allows 5 leads; this workspace has 5. "
        "Upgrade in Settings → Billing to add more."
    )
    detail = error["details"][0]
    assert (detail["limit"], detail["used"], detail["adding"]) == (5, 5, 1)
    assert detail["upgrade_url"] == "/settings/billing/"
    assert lead_total(fixture.workspace) == 5
    with schema_context(fixture.workspace.schema_name):
        assert not EventLog.objects.filter(changes__email__after="sixth@example.com").exists()


def test_limits_are_counted_in_thousands_with_separators(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1200)
    set_limits(fixture.workspace, lead_limit=1200)

    error = refusal(new_lead(api(fixture), "one-more@example.com"))

    assert "allows 1,200 leads; this workspace has 1,200." in error["message"]


def test_a_workspace_without_a_lead_limit_is_never_refused(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 3)

    response = new_lead(api(fixture), "more@example.com")

    assert response.status_code == 201


def test_the_lead_form_shows_the_limit_with_a_link_to_billing(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_limits(fixture.workspace, lead_limit=2)
    page = fixture.signed_in_client()
    form = {"status": "new", "source": "api"}

    at_limit = page.post("/leads/new/", {**form, "email": "two@example.com"}, **HTMX)
    over = page.post("/leads/new/", {**form, "email": "three@example.com"}, **HTMX)

    assert at_limit.status_code == 204  # saved: the modal reloads the list
    assert over.status_code == 402 and b"<html" not in over.content
    assert "Your Growth plan allows 2 leads; this workspace has 2." in page_text(over)
    assert b'href="/settings/billing/"' in over.content
    assert lead_total(fixture.workspace) == 2


def test_an_api_import_that_would_cross_the_limit_writes_nothing(make_workspace) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 2)  # lead0@ and lead1@
    set_limits(fixture.workspace, lead_limit=4)
    client = api(fixture)
    slug = fixture.workspace.slug
    # Two rows update existing leads (they add none), two are new: exactly the limit.
    fits = (
        f"email,first_name\nlead0@{slug}.example,A\nlead1@{slug}.example,B\nn1@x.io,C\nn2@x.io,D\n"
    )
    crosses = "email,first_name\nn3@x.io,E\n"

    accepted = upload_api(client, fits, on_duplicate="update")
    refused = upload_api(client, crosses)

    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["created_count"] == 2 and accepted.json()["updated_count"] == 2
    error = refusal(refused)
    assert error["message"].startswith("Your Growth plan allows 4 leads; this workspace has 4.")
    assert lead_total(fixture.workspace) == 4
    with schema_context(fixture.workspace.schema_name):
        failed = LeadImport.objects.order_by("-id").first()
        assert failed is not None and failed.status == LeadImport.Status.FAILED
        assert failed.created_count == 0 and "Settings → Billing" in failed.failure


def test_an_import_of_many_new_rows_says_how_many_it_would_add(make_workspace) -> None:
    fixture = make_workspace()
    set_limits(fixture.workspace, lead_limit=2)
    rows = "".join(f"r{i}@x.io,R{i}\n" for i in range(3))

    error = refusal(upload_api(api(fixture), f"email,first_name\n{rows}"))

    assert "this workspace has 0 and this would add 3." in error["message"]
    assert error["details"][0]["adding"] == 3
    assert lead_total(fixture.workspace) == 0


def test_the_import_preview_refuses_an_over_limit_file_before_it_can_be_confirmed(
    make_workspace,
) -> None:
    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_limits(fixture.workspace, lead_limit=2)
    page = fixture.signed_in_client()
    import_id = import_id_of(upload_page(page, "email,first_name\na@x.io,A\nb@x.io,B\n"))

    preview = page.post(f"/leads/import/{import_id}/mapping/", mapping_form(page, import_id))
    shown = page.get(preview["Location"]) if preview.status_code == 302 else preview
    confirm = page.post(f"/leads/import/{import_id}/run/", {})

    text = page_text(shown)
    assert "Your Growth plan allows 2 leads; this workspace has 1 and this would add 2." in text
    assert b'href="/settings/billing/"' in shown.content
    assert confirm.status_code == 409  # a refused preview cannot be confirmed
    assert lead_total(fixture.workspace) == 1


def test_one_workspace_at_its_limit_does_not_block_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    add_leads(alpha.workspace, 1)
    set_limits(alpha.workspace, lead_limit=1)
    set_limits(beta.workspace, lead_limit=1)

    refused = new_lead(api(alpha), "a@example.com")
    allowed = new_lead(api(beta), "b@example.com")

    assert refusal(refused)["details"][0]["used"] == 1
    assert allowed.status_code == 201
    assert (lead_total(alpha.workspace), lead_total(beta.workspace)) == (1, 1)


def test_a_lead_brought_by_a_payment_is_recorded_past_the_limit(make_workspace) -> None:
    from crm.services.leads import create_lead

    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    set_limits(fixture.workspace, lead_limit=1)

    with schema_context(fixture.workspace.schema_name):
        lead = create_lead(actor=None, within_plan=False, email="buyer@example.com")

    assert lead.pk is not None
    assert lead_total(fixture.workspace) == 2
