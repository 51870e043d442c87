"""What every crm page shares: the page decorator whose error pages lead back to the leads."""

from __future__ import annotations

from django.http import HttpRequest

from project.pages import page


def _back_to_leads(request: HttpRequest) -> tuple[str, str] | None:
    return ("/leads/", "Back to leads")


workspace_page = page(back=_back_to_leads)
