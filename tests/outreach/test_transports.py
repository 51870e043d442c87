"""The engine reaches a provider only through its channel's transport: email today."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context

from outreach.delivery.outgoing import Claimed, load_outgoing
from outreach.delivery.transports import BATCH_METADATA_KEY, EmailTransport, transport_for
from tests.support.clients import api
from tests.support.email import create_campaign


def test_campaigns_and_one_off_emails_go_through_the_email_transport(make_workspace) -> None:
    fixture = make_workspace()
    campaign = create_campaign(api(fixture))

    with schema_context(fixture.workspace.schema_name):
        for_campaign = load_outgoing(campaign["id"])
        for_one_off = load_outgoing(None)

    assert for_campaign is not None and for_one_off is not None
    assert isinstance(for_campaign.transport, EmailTransport)
    assert isinstance(for_one_off.transport, EmailTransport)
    assert transport_for("email").channel == "email"


def test_the_batch_key_is_sent_under_the_key_reconciliation_searches(make_workspace) -> None:
    fixture = make_workspace()
    campaign = create_campaign(api(fixture))

    with schema_context(fixture.workspace.schema_name):
        outgoing = load_outgoing(campaign["id"])

    assert outgoing is not None
    claimed = Claimed(1, 1, "ada@example.com", "", "", {"first_name": "Ada"})
    rendered = outgoing.render(claimed, "")
    email = outgoing.email(claimed, rendered, uuid.UUID(int=7), "")
    assert email.metadata[BATCH_METADATA_KEY] == uuid.UUID(int=7).hex
