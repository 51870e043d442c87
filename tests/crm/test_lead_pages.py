"""The leads pages: the list with search and filters, adding a lead with its errors shown
on the form, and a lead's page with its timeline; another workspace's lead is a 404 page."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import Lead
from tests.support.clients import api, post
from tests.support.pages import page_text


def test_signed_out_visitors_are_sent_to_sign_in(make_workspace) -> None:
    response = make_workspace().client().get("/leads/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/leads/")


def test_the_list_shows_the_total_and_finds_leads_by_search_status_and_tag(
    make_workspace,
) -> None:
    fixture = make_workspace()
    client = api(fixture)
    post(client, "/api/v1/leads", {"first_name": "Ada", "email": "ada@x.example", "tags": ["vip"]})
    post(client, "/api/v1/leads", {"first_name": "Alan", "email": "alan@x.example"})
    post(
        client,
        "/api/v1/leads",
        {"first_name": "Grace", "phone": "+1 202 555 0100", "status": "customer"},
    )
    page = fixture.signed_in_client()

    everyone = page_text(page.get("/leads/"))
    by_name = page_text(page.get("/leads/?q=alan"))
    by_status = page_text(page.get("/leads/?status=customer"))
    by_tag = page_text(page.get("/leads/?tag=VIP"))

    assert "3 leads" in everyone and "Ada" in everyone and "Grace" in everyone
    assert "1 lead match" in by_name and "Alan" in by_name and "Ada " not in by_name
    assert "Grace" in by_status and "Alan" not in by_status
    assert "Ada" in by_tag and "Alan" not in by_tag


def test_an_empty_workspace_says_how_to_add_the_first_lead(make_workspace) -> None:
    text = page_text(make_workspace().signed_in_client().get("/leads/"))

    assert "No leads yet" in text and "Add a lead" in text


def test_the_list_pages_by_cursor_keeping_the_filter(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    for number in range(55):
        post(client, "/api/v1/leads", {"email": f"l{number}@x.example", "tags": ["spring"]})
    page = fixture.signed_in_client()

    first = page.get("/leads/?tag=spring").content.decode()
    older = first.split('href="?tag=spring&amp;cursor=')[1].split('"')[0]
    second = page.get(f"/leads/?tag=spring&cursor={older}").content.decode()

    assert "55 leads match" in page_text(page.get("/leads/?tag=spring"))
    assert second.count("@x.example</td>") == 5  # the email column of each row


def test_adding_a_lead_opens_its_page_and_records_the_event(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    response = page.post(
        "/leads/new/",
        {"first_name": "Ada", "email": "ADA@x.example", "status": "new", "source": "referral",
         "tags": "VIP, webinar"},
    )  # fmt: skip
    with schema_context(fixture.workspace.schema_name):
        lead = Lead.objects.get()
    shown = page_text(page.get(response["Location"]))

    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.email == "ADA@x.example" and lead.tags == ["vip", "webinar"]
    assert "ADA@x.example" in shown and "Referral" in shown
    assert "vip" in shown and "webinar" in shown
    assert "Lead created" in shown


def test_a_bad_lead_is_shown_again_with_each_error_and_nothing_is_written(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()
    post(api(fixture), "/api/v1/leads", {"email": "taken@x.example"})

    no_contact = page.post("/leads/new/", {"first_name": "Ada", "status": "new", "source": "api"})
    taken = page.post("/leads/new/", {"email": "TAKEN@x.example", "status": "new", "source": "api"})
    bad_email = page.post(
        "/leads/new/", {"email": "not an email", "status": "new", "source": "api"}
    )

    assert no_contact.status_code == 422
    assert "email" in page_text(no_contact).lower() and "phone" in page_text(no_contact).lower()
    assert taken.status_code == 422 and "already has this email" in page_text(taken)
    assert bad_email.status_code == 422
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.count() == 1


def test_another_workspaces_lead_is_a_404_page_that_shows_nothing_of_it(two_workspaces) -> None:
    alpha, beta = two_workspaces
    lead = post(api(alpha), "/api/v1/leads", {"first_name": "Secret", "email": "s@alpha.example"})
    lead_id = lead.json()["id"]

    own = alpha.signed_in_client().get(f"/leads/{lead_id}/")
    other = beta.signed_in_client().get(f"/leads/{lead_id}/")
    listed = page_text(beta.signed_in_client().get("/leads/"))

    assert own.status_code == 200 and "Secret" in page_text(own)
    assert other.status_code == 404 and "Secret" not in page_text(other)
    assert "Secret" not in listed and "No leads yet" in listed
