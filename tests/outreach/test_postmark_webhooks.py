"""POST /webhooks/postmark on the workspace's domain: basic auth per workspace, idempotent,
each record type applied to the message, the lead's timeline, the campaign's counters and
the suppression list."""

from __future__ import annotations

from django_tenants.utils import schema_context

from crm.models import EventLog, Lead, Message
from outreach.models import Campaign, Suppression
from tests.support.clients import api, post
from tests.support.email import campaign_row, ready_campaign, run_jobs
from tests.support.webhooks import deliver_event, hook, webhook_password


def message_in(workspace, message_id: int) -> Message:
    with schema_context(workspace.schema_name):
        return Message.objects.get(pk=message_id)


def counters(workspace, campaign_id: int) -> dict[str, int]:
    row = campaign_row(workspace, campaign_id)
    return {
        name: getattr(row, f"{name}_count")
        for name in (
            "sent",
            "delivered",
            "opened",
            "clicked",
            "bounced",
            "complained",
            "unsubscribed",
        )
    }


def test_delivery_updates_message_timeline_and_counter_once(sent) -> None:
    fixture, campaign_id, messages, client = sent
    payload = {
        "RecordType": "Delivery",
        "MessageID": messages[0].provider_id,
        "Recipient": messages[0].to_email,
        "DeliveredAt": "2026-11-25T10:00:00.1234567-05:00",
        "Details": "Test delivery",
    }

    first = deliver_event(client, payload)
    retry = deliver_event(client, payload)

    message = message_in(fixture.workspace, messages[0].pk)
    assert first.json() == {"status": "applied"}
    assert retry.status_code == 200 and retry.json() == {"status": "duplicate"}
    assert message.status == "delivered"
    assert message.delivered_at is not None
    assert message.delivered_at.isoformat() == "2026-11-25T15:00:00.123456+00:00"
    assert counters(fixture.workspace, campaign_id)["delivered"] == 1
    with schema_context(fixture.workspace.schema_name):
        timeline = list(
            EventLog.objects.filter(object_type="lead", object_id=messages[0].lead_id).values_list(
                "verb", flat=True
            )
        )
    assert timeline == ["email_delivered"]
    entries = api(fixture).get(f"/api/v1/leads/{messages[0].lead_id}/timeline").json()
    assert "email_delivered" in [entry["data"].get("verb") for entry in entries]


def test_a_hard_bounce_suppresses_and_a_soft_one_does_not(sent) -> None:
    fixture, campaign_id, messages, client = sent
    hard = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": messages[0].provider_id,
        "Email": messages[0].to_email,
        "Description": "The server was unable to deliver your message.",
        "BouncedAt": "2026-11-25T10:00:00Z",
        "Inactive": True,
    }
    soft = {
        **hard,
        "ID": 43,
        "Type": "SoftBounce",
        "TypeCode": 4096,
        "Name": "Soft bounce",
        "Inactive": False,
        "MessageID": messages[1].provider_id,
        "Email": messages[1].to_email,
    }

    deliver_event(client, hard)
    deliver_event(client, soft)

    with schema_context(fixture.workspace.schema_name):
        suppressed = list(Suppression.objects.values_list("email", "reason"))
    bounced = message_in(fixture.workspace, messages[0].pk)
    assert suppressed == [(messages[0].to_email, "hard_bounce")]
    assert bounced.status == "bounced" and "Hard bounce" in bounced.error
    assert counters(fixture.workspace, campaign_id)["bounced"] == 2


def test_a_spam_complaint_suppresses_and_counts(sent) -> None:
    fixture, campaign_id, messages, client = sent

    response = deliver_event(
        client,
        {
            "RecordType": "SpamComplaint",
            "ID": 7,
            "Type": "SpamComplaint",
            "TypeCode": 512,
            "MessageID": messages[1].provider_id,
            "Email": messages[1].to_email,
            "BouncedAt": "2026-11-25T11:00:00Z",
        },
    )

    assert response.json() == {"status": "applied"}
    assert counters(fixture.workspace, campaign_id)["complained"] == 1
    with schema_context(fixture.workspace.schema_name):
        assert Suppression.objects.get().reason == "spam_complaint"


def test_opens_and_clicks_count_each_message_once_and_a_click_counts_as_an_open(sent) -> None:
    fixture, campaign_id, messages, client = sent
    opened = {
        "RecordType": "Open",
        "MessageID": messages[0].provider_id,
        "Recipient": messages[0].to_email,
        "FirstOpen": True,
        "ReceivedAt": "2026-11-25T12:00:00Z",
    }
    reopened = {**opened, "FirstOpen": False, "ReceivedAt": "2026-11-25T13:00:00Z"}
    clicked = {
        "RecordType": "Click",
        "MessageID": messages[1].provider_id,
        "Recipient": messages[1].to_email,
        "OriginalLink": "https://example.com/cohort",
        "ReceivedAt": "2026-11-25T12:30:00Z",
    }

    for payload in (opened, reopened, clicked, {**clicked, "ReceivedAt": "2026-11-25T12:31:00Z"}):
        assert deliver_event(client, payload).json() == {"status": "applied"}

    first, second = (
        message_in(fixture.workspace, messages[0].pk),
        message_in(fixture.workspace, messages[1].pk),
    )
    assert (first.status, first.open_count) == ("opened", 2)
    assert (second.status, second.click_count, second.opened_at is not None) == ("clicked", 2, True)
    assert counters(fixture.workspace, campaign_id) == {
        "sent": 2,
        "delivered": 0,
        "opened": 2,
        "clicked": 1,
        "bounced": 0,
        "complained": 0,
        "unsubscribed": 0,
    }
    stats = api(fixture).get(f"/api/v1/campaigns/{campaign_id}/stats").json()
    assert stats["rates"]["open_rate"] == 1.0 and stats["rates"]["click_rate"] == 0.5


def test_a_late_delivery_does_not_undo_an_open(sent) -> None:
    fixture, _, messages, client = sent
    deliver_event(
        client,
        {
            "RecordType": "Open",
            "MessageID": messages[0].provider_id,
            "ReceivedAt": "2026-11-25T12:00:00Z",
        },
    )
    deliver_event(
        client,
        {
            "RecordType": "Delivery",
            "MessageID": messages[0].provider_id,
            "DeliveredAt": "2026-11-25T11:59:00Z",
        },
    )

    message = message_in(fixture.workspace, messages[0].pk)
    assert message.status == "opened" and message.delivered_at is not None


def test_subscription_change_suppresses_and_only_the_recipient_lifts_an_unsubscribe(sent) -> None:
    fixture, campaign_id, messages, client = sent
    change = {
        "RecordType": "SubscriptionChange",
        "MessageID": messages[0].provider_id,
        "Recipient": messages[0].to_email,
        "ChangedAt": "2026-11-25T12:00:00Z",
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
    }
    lifted_by_sender = {
        **change,
        "SuppressSending": False,
        "Origin": "Customer",
        "ChangedAt": "2026-11-25T13:00:00Z",
    }
    lifted_by_recipient = {**change, "SuppressSending": False, "ChangedAt": "2026-11-25T14:00:00Z"}

    deliver_event(client, change)
    with schema_context(fixture.workspace.schema_name):
        after_change = (
            Lead.objects.get(pk=messages[0].lead_id).unsubscribed_at,
            Suppression.objects.count(),
        )
    deliver_event(client, lifted_by_sender)
    with schema_context(fixture.workspace.schema_name):
        after_sender = Suppression.objects.count()
    deliver_event(client, lifted_by_recipient)
    with schema_context(fixture.workspace.schema_name):
        after_recipient = (
            Lead.objects.get(pk=messages[0].lead_id).unsubscribed_at,
            Suppression.objects.count(),
        )

    assert after_change[0] is not None and after_change[1] == 1
    assert counters(fixture.workspace, campaign_id)["unsubscribed"] == 1
    assert after_sender == 1  # the sender cannot lift what the recipient asked for
    assert after_recipient == (None, 0)


def test_webhook_needs_this_workspaces_password(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    alpha_password = webhook_password(alpha.workspace)
    beta_password = webhook_password(beta.workspace)
    payload = {"RecordType": "Delivery", "MessageID": "x", "DeliveredAt": "2026-11-25T10:00:00Z"}

    none = deliver_event(hook(alpha.workspace, None), payload)
    wrong = deliver_event(hook(alpha.workspace, "guess"), payload)
    wrong_user = deliver_event(hook(alpha.workspace, alpha_password, username="admin"), payload)
    other = deliver_event(hook(alpha.workspace, beta_password), payload)
    rotated_out = alpha_password
    webhook_password(alpha.workspace)  # a new one: the old stops working
    old = deliver_event(hook(alpha.workspace, rotated_out), payload)

    for response in (none, wrong, wrong_user, other, old):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
    assert none["WWW-Authenticate"] == 'Basic realm="postmark"'


def test_another_workspaces_message_id_is_404_and_changes_nothing(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    client, campaign = ready_campaign(alpha, leads=1)
    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(alpha.workspace, campaign["id"])
    with schema_context(alpha.workspace.schema_name):
        message = Message.objects.get()
    beta_hook = hook(beta.workspace, webhook_password(beta.workspace))

    response = deliver_event(
        beta_hook,
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "MessageID": message.provider_id,
            "Email": message.to_email,
        },
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_message"
    assert message.to_email not in response.content.decode()
    assert message_in(alpha.workspace, message.pk).status == "sent"
    with schema_context(alpha.workspace.schema_name):
        assert not Suppression.objects.exists()
        assert Campaign.objects.get().bounced_count == 0


def test_malformed_and_unsupported_webhooks_are_4xx(sent) -> None:
    _, _, messages, client = sent

    not_json = client.post("/webhooks/postmark", "{", content_type="application/json")
    a_list = deliver_event(client, [1, 2])  # type: ignore[arg-type]
    inbound = deliver_event(client, {"RecordType": "Inbound", "MessageID": messages[0].provider_id})
    get = client.get("/webhooks/postmark")

    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "malformed_json"
    assert a_list.status_code == 400
    assert inbound.status_code == 422
    assert get.status_code == 405
