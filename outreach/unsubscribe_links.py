"""Signed per-lead unsubscribe links. The signature is salted with the workspace's schema,
so a link of one workspace is meaningless on another's domain, whatever ids it carries."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from tenants.models import Workspace

PATH = "/unsubscribe/"


@dataclass(frozen=True)
class UnsubscribeLink:
    lead_id: int
    message_id: int | None  # the email the link came in, when there was one


def _signer(schema_name: str) -> signing.Signer:
    return signing.Signer(salt=f"crm.unsubscribe.{schema_name}")


def unsubscribe_token(*, schema_name: str, lead_id: int, message_id: int | None) -> str:
    return _signer(schema_name).sign(f"{lead_id}.{message_id or 0}")


def unsubscribe_url(*, workspace: Workspace, lead_id: int, message_id: int | None) -> str:
    token = unsubscribe_token(
        schema_name=workspace.schema_name, lead_id=lead_id, message_id=message_id
    )
    return f"{workspace.url}{PATH}{token}/"


def read_unsubscribe_token(*, schema_name: str, token: str) -> UnsubscribeLink | None:
    """The link's lead and message, or None when the token was not made for this workspace."""
    try:
        value = _signer(schema_name).unsign(token)
        lead_id, message_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return UnsubscribeLink(lead_id=lead_id, message_id=message_id or None)
