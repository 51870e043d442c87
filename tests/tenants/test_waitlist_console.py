"""The waitlist in the platform console: staff only, searchable, exported as CSV that a
spreadsheet opens without running anything."""

from __future__ import annotations

import csv
import io

from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import WaitlistEntry
from tenants.services.waitlist import join_waitlist
from tests.support.clients import sign_in_client
from tests.support.console import make_staff_user, staff_console_client
from tests.support.pages import page_text


def join(*emails: str) -> None:
    for email in emails:
        join_waitlist(email=email, ip="198.51.100.7")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_staff_see_the_waitlist_newest_first(db) -> None:
    make_staff_user()
    join("first@example.com", "second@example.com")

    response = staff_console_client().get("/console/waitlist/")

    text = page_text(response)
    assert response.status_code == 200
    assert "2 addresses" in text
    assert text.index("second@example.com") < text.index("first@example.com")
    assert "198.51.100.7" in text


def test_staff_search_the_waitlist_by_part_of_an_address(db) -> None:
    make_staff_user()
    join("ada@lovelace.example", "bob@builder.example")

    text = page_text(staff_console_client().get("/console/waitlist/", {"q": "LOVELACE"}))

    assert "ada@lovelace.example" in text
    assert "bob@builder.example" not in text
    assert "1 address matching" in text


def test_the_export_is_every_matching_entry_with_formulas_neutralised(db) -> None:
    make_staff_user()
    join("=1+2@example.com", "plain@example.com", "+sum@example.com", "-x@example.com")
    with schema_context("public"):
        assert WaitlistEntry.objects.count() == 4  # valid addresses that start a formula

    client = staff_console_client()
    everything = client.get("/console/waitlist/export.csv")
    plain = client.get("/console/waitlist/export.csv", {"q": "plain"})

    assert everything["Content-Type"].startswith("text/csv")
    assert "attachment" in everything["Content-Disposition"]
    rows = csv_rows(everything)
    assert rows[0] == ["email", "joined", "ip"]
    assert [row[0] for row in rows[1:]] == [
        "'=1+2@example.com",
        "plain@example.com",
        "'+sum@example.com",
        "'-x@example.com",
    ]
    assert rows[1][2] == "198.51.100.7"
    assert [row[0] for row in csv_rows(plain)[1:]] == ["plain@example.com"]


def test_the_waitlist_and_its_export_are_staff_only(make_workspace) -> None:
    join("secret@example.com")
    fixture = make_workspace("alpha")
    workspace_owner = sign_in_client(fixture.workspace, fixture.owner_email)
    signed_out = Client(HTTP_HOST="localhost")

    for path in ("/console/waitlist/", "/console/waitlist/export.csv"):
        response = signed_out.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/console/login/")
        # A workspace's session means nothing on the apex; its host has no such page.
        assert workspace_owner.get(path).status_code == 404


def test_console_nav_links_the_waitlist(db) -> None:
    make_staff_user()

    response = staff_console_client().get("/console/")

    assert 'href="/console/waitlist/"' in response.text
