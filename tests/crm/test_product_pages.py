"""The products page: the catalogue with active and archived, create and edit with errors
next to the field, archive and unarchive; members see it and change nothing; another
workspace's product is a 404."""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import schema_context

from crm.models import Product
from tests.support.clients import add_member, api, post, sign_in_client
from tests.support.pages import page_text

COURSE = {
    "name": "Foundations course",
    "kind": "course",
    "price": "197.00",
    "currency": "EUR",
    "billing": "one_time",
    "interval": "",
    "description": "Six weeks.",
}


def _product(fixture, **fields) -> int:
    response = post(api(fixture), "/api/v1/products", {"name": "Coaching", "price": "90.00",
                                                       **fields})  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _row(fixture, product_id: int) -> Product:
    with schema_context(fixture.workspace.schema_name):
        return Product.objects.get(pk=product_id)


def test_creating_a_product_lists_it_with_its_price_and_currency(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    empty = page_text(page.get("/products/"))
    created = page.post("/products/new/", COURSE)
    listed = page_text(page.get(created["Location"]))

    assert "No products yet" in empty and "New product" in empty
    assert created.status_code == 302
    assert "Foundations course" in listed and "197.00 EUR" in listed and "One-time" in listed
    assert "Foundations course is added." in listed
    with schema_context(fixture.workspace.schema_name):
        product = Product.objects.get()
    assert product.price == Decimal("197.00") and product.currency == "EUR"


def test_a_recurring_product_needs_an_interval(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    missing = page.post("/products/new/", {**COURSE, "billing": "recurring"})
    monthly = page.post("/products/new/", {**COURSE, "billing": "recurring", "interval": "month"})

    assert missing.status_code == 422 and "needs an interval" in page_text(missing)
    assert monthly.status_code == 302
    assert "Monthly" in page_text(page.get("/products/"))


def test_bad_input_comes_back_with_the_error_next_to_the_field(make_workspace) -> None:
    fixture = make_workspace()
    page = fixture.signed_in_client()

    negative = page.post("/products/new/", {**COURSE, "price": "-1"})
    too_precise = page.post("/products/new/", {**COURSE, "price": "1.234"})
    currency = page.post("/products/new/", {**COURSE, "currency": "XXXX"})
    no_name = page.post("/products/new/", {**COURSE, "name": ""})

    for response in (negative, too_precise, currency, no_name):
        assert response.status_code == 422
        assert 'class="field has-error"' in response.content.decode()
    with schema_context(fixture.workspace.schema_name):
        assert Product.objects.count() == 0


def test_editing_archiving_and_unarchiving(make_workspace) -> None:
    fixture = make_workspace()
    product_id = _product(fixture, currency="USD")
    page = fixture.signed_in_client()

    form = page.get(f"/products/{product_id}/")
    edited = page.post(f"/products/{product_id}/", {**COURSE, "name": "Coaching, 6 weeks",
                                                     "price": "120.50"})  # fmt: skip
    archived = page.post(f"/products/{product_id}/archive/", {"active": "no"})
    active_list = page.get("/products/").content.decode()
    archived_list = page_text(page.get("/products/?show=archived"))
    back = page.post(f"/products/{product_id}/archive/", {"active": "yes"})

    assert form.status_code == 200 and 'value="Coaching"' in form.content.decode()
    assert edited.status_code == 302 and archived.status_code == 302
    assert f'href="/products/{product_id}/"' not in active_list
    assert "Coaching, 6 weeks" in archived_list and "Unarchive" in archived_list
    assert back.status_code == 302
    product = _row(fixture, product_id)
    assert product.active and product.name == "Coaching, 6 weeks"
    assert product.price == Decimal("120.50")


def test_a_product_in_an_unlisted_currency_keeps_it_on_edit(make_workspace) -> None:
    fixture = make_workspace()
    product_id = _product(fixture, currency="THB")

    form = fixture.signed_in_client().get(f"/products/{product_id}/").content.decode()

    assert '<option value="THB" selected>' in form


def test_a_member_sees_the_catalogue_and_is_refused_changes(make_workspace) -> None:
    fixture = make_workspace()
    product_id = _product(fixture)
    member = add_member(fixture.workspace, "member")
    page = sign_in_client(fixture.workspace, member.email)

    listed = page.get("/products/")
    new = page.post("/products/new/", COURSE)
    new_form = page.get("/products/new/")
    edit = page.post(f"/products/{product_id}/", {**COURSE, "name": "Hijacked"})
    archive = page.post(f"/products/{product_id}/archive/", {"active": "no"})

    assert listed.status_code == 200 and "Coaching" in page_text(listed)
    html = listed.content.decode()
    assert 'href="/products/new/"' not in html and "/archive/" not in html
    assert f'href="/products/{product_id}/"' not in html
    assert new.status_code == 403 and new_form.status_code == 403
    assert edit.status_code == 403 and archive.status_code == 403
    product = _row(fixture, product_id)
    assert product.name == "Coaching" and product.active
    with schema_context(fixture.workspace.schema_name):
        assert Product.objects.count() == 1


def test_another_workspaces_product_is_a_404_and_unchanged(two_workspaces) -> None:
    alpha, beta = two_workspaces
    product_id = _product(alpha, name="Secret mastermind")
    page = beta.signed_in_client()

    opened = page.get(f"/products/{product_id}/")
    edited = page.post(f"/products/{product_id}/", {**COURSE, "name": "Taken over"})
    archived = page.post(f"/products/{product_id}/archive/", {"active": "no"})

    assert opened.status_code == 404 and "Secret" not in page_text(opened)
    assert edited.status_code == 404 and archived.status_code == 404
    assert "Secret" not in page_text(page.get("/products/"))
    product = _row(alpha, product_id)
    assert product.name == "Secret mastermind" and product.active
