"""The import pages' steps as a signed-in person takes them, for the tests of those pages."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client


def csv_file(text: str | bytes, name: str = "leads.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def upload(client: Client, text: str | bytes, name: str = "leads.csv"):
    return client.post("/leads/import/", {"file": csv_file(text, name)})


def import_id_of(response) -> int:
    """The import id in the redirect an upload answers with."""
    found = re.match(r"/leads/import/(\d+)/", response["Location"])
    assert found, response["Location"]
    return int(found.group(1))


def mapping_form(client: Client, import_id: int) -> dict[str, str]:
    """The mapping form's fields with the values the page chose (the guesses)."""
    html = client.get(f"/leads/import/{import_id}/mapping/").content.decode()
    values: dict[str, str] = {}
    for name, body in re.findall(r'<select name="(column_\d+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        values[name] = chosen.group(1) if chosen else ""
    values["on_duplicate"] = "skip"
    return values


def labelled_columns(client: Client, import_id: int) -> dict[str, str]:
    """Column label -> the select's name, read from the mapping page."""
    html = client.get(f"/leads/import/{import_id}/mapping/").content.decode()
    return {
        label: f"column_{index}"
        for index, label in re.findall(r'<label for="id_column_(\d+)">([^<]*)</label>', html)
    }
