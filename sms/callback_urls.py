"""The workspace-scoped URLs Twilio calls: each message's status callback (which names our
message in its query) and the inbound URL a member sets on their number or messaging
service. Both are on the workspace's own domain, so a callback only ever reaches the schema
of the workspace whose message or number it is about."""

from __future__ import annotations

from tenants.models import Workspace

STATUS_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"


def status_callback_url(workspace: Workspace, message_id: int) -> str:
    """Where Twilio reports a text's fate: `?message=<crm.Message id>`."""
    return f"{workspace.url}{STATUS_PATH}?message={message_id}"


def inbound_url(workspace: Workspace) -> str:
    """What the member pastes into Twilio as the number's "A message comes in" webhook."""
    return f"{workspace.url}{INBOUND_PATH}"
