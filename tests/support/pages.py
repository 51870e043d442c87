"""Reading pages as a person does, and the drafts page tests start from."""

from __future__ import annotations

import re

from tests.support.clients import api
from tests.support.email import create_campaign


def page_text(response) -> str:
    """The page as a person reads it: tags dropped, whitespace squeezed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def draft(fixture, **fields) -> int:
    """A draft campaign made through the API (the owner's token), to every lead."""
    return create_campaign(api(fixture), **fields)["id"]
