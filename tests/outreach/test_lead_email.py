"""A one-off email to one lead (POST /leads/{id}/email), the audience's live count with
custom-field criteria and suppression, the suppression list, and the email settings."""

from __future__ import annotations

from collections import Counter

from django_tenants.utils import schema_context

from crm.models import CustomFieldDefinition, EventLog, Lead, Message
from mail.models import PendingSend
from outreach.delivery.sender import deliver
from outreach.models import Suppression
from tests.support.clients import add_member, api, bearer_client, patch, post
from tests.support.email import add_leads, set_postal_address


def test_a_one_off_email_is_queued_then_sent_once_on_the_transactional_stream(
    make_workspace, postmark
) -> None:
    fixture = make_workspace("alpha", "Alpha Coaching")
    [lead_id] = add_leads(fixture.workspace, 1)
    client = api(fixture)

    queued = post(
        client,
        f"/api/v1/leads/{lead_id}/email",
        {"subject": "Your call, {{ lead.first_name }}", "body": "Hi {{ lead.first_name }}!"},
    )
    with schema_context(fixture.workspace.schema_name):
        run = deliver(campaign_id=None)
        again = deliver(campaign_id=None)
        message = Message.objects.get()
        pending = PendingSend.objects.count()
    timeline = client.get(f"/api/v1/leads/{lead_id}/timeline").json()

    assert queued.status_code == 202
    assert queued.json()["status"] == "queued"
    assert (run.sent, run.outcome, again.sent) == (1, "done", 0)
    [email] = postmark.received
    assert email["To"] == "lead0@alpha.example"
    assert email["Subject"] == "Your call, Name0"
    assert email["TextBody"] == "Hi Name0!"
    assert email["MessageStream"] == "outbound"
    assert email["From"] == "Alpha Coaching <no-reply@localhost>"
    assert "Headers" not in email or not email["Headers"]
    assert message.status == "sent" and message.provider_id == email["_id"]
    assert pending == 0
    assert [entry["summary"] for entry in timeline[:2]] == [
        "Outbound email: Your call, Name0",
        "Email queued",
    ]
    with schema_context(fixture.workspace.schema_name):
        assert Lead.objects.get().last_contacted_at is not None


def test_a_one_off_email_survives_a_failing_postmark(make_workspace, postmark) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)
    postmark.fail_next = [503, "drop"]

    post(api(fixture), f"/api/v1/leads/{lead_id}/email", {"subject": "Hi", "body": "Hello"})
    with schema_context(fixture.workspace.schema_name):
        run = deliver(campaign_id=None)

    assert run.retries == [0.05, 0.1]
    assert Counter(postmark.accepted_to()) == {f"lead0@{fixture.workspace.slug}.example": 1}


def test_one_off_emails_respect_suppression_and_need_an_address(make_workspace, postmark) -> None:
    fixture = make_workspace()
    client = api(fixture)
    [bounced] = add_leads(fixture.workspace, 1)
    phone_only = post(client, "/api/v1/leads", {"phone": "+1 202 555 0100"}).json()["id"]
    with schema_context(fixture.workspace.schema_name):
        Suppression.objects.create(
            email=f"lead0@{fixture.workspace.slug}.example", reason="hard_bounce"
        )

    refused = post(client, f"/api/v1/leads/{bounced}/email", {"subject": "Hi", "body": "x"})
    no_address = post(client, f"/api/v1/leads/{phone_only}/email", {"subject": "Hi", "body": "x"})
    broken = post(client, f"/api/v1/leads/{phone_only}/email", {"subject": "", "body": ""})
    [reachable] = add_leads(fixture.workspace, 1, prefix="ok")
    bad_template = post(
        client, f"/api/v1/leads/{reachable}/email", {"subject": "Hi", "body": "x\n{% load x %}"}
    )
    missing = post(client, "/api/v1/leads/999999/email", {"subject": "Hi", "body": "x"})

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "recipient_suppressed"
    assert no_address.status_code == 422
    assert {d["field"] for d in broken.json()["error"]["details"]} == {"subject", "body"}
    assert bad_template.status_code == 422
    assert bad_template.json()["error"]["details"][0]["field"] == "body"
    assert bad_template.json()["error"]["details"][0]["line"] == 2
    assert missing.status_code == 404
    with schema_context(fixture.workspace.schema_name):
        assert not Message.objects.exists()


def test_one_off_email_to_another_workspaces_lead_is_404(two_workspaces, postmark) -> None:
    alpha, beta = two_workspaces
    [alpha_lead] = add_leads(alpha.workspace, 1)

    response = post(api(beta), f"/api/v1/leads/{alpha_lead}/email", {"subject": "Hi", "body": "x"})

    assert response.status_code == 404
    with schema_context(alpha.workspace.schema_name):
        assert not Message.objects.exists()


def test_logging_a_queued_message_is_refused_so_it_is_never_sent(make_workspace, postmark) -> None:
    fixture = make_workspace()
    [lead_id] = add_leads(fixture.workspace, 1)

    response = post(
        api(fixture),
        "/api/v1/messages",
        {"lead": lead_id, "channel": "email", "status": "queued", "subject": "x"},
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "status"


def test_audience_count_is_live_with_custom_fields_and_excludes_suppressed(make_workspace) -> None:
    fixture = make_workspace()
    client = api(fixture)
    with schema_context(fixture.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="plan", label="Plan", field_type="text")
    add_leads(fixture.workspace, 3, prefix="pro", custom_fields={"plan": "pro"}, tags=["vip"])
    add_leads(fixture.workspace, 2, prefix="free", custom_fields={"plan": "free"}, tags=["vip"])
    with schema_context(fixture.workspace.schema_name):
        Suppression.objects.create(email=f"pro0@{fixture.workspace.slug}.example", reason="manual")

    pro = post(
        client, "/api/v1/audiences/count", {"audience": {"custom_fields": {"plan": "pro"}}}
    ).json()
    vip = post(client, "/api/v1/audiences/count", {"audience": {"tag": "VIP"}}).json()
    campaign = post(
        client,
        "/api/v1/campaigns",
        {"name": "Pro only", "audience": {"custom_fields": {"plan": "pro"}, "tag": ["vip"]}},
    ).json()
    preview = client.get(f"/api/v1/campaigns/{campaign['id']}/audience").json()

    assert pro == {"count": 2, "audience": {"custom_fields": {"plan": "pro"}}}
    assert vip["count"] == 4 and vip["audience"] == {"tag": ["vip"]}
    assert preview["count"] == 2


def test_bad_audience_criteria_are_422_naming_each(make_workspace) -> None:
    client = api(make_workspace())

    response = post(
        client,
        "/api/v1/audiences/count",
        {"audience": {"salary": 1, "stage": "abc", "status": "vip", "custom_fields": {"x": [1]}}},
    )
    campaign = post(client, "/api/v1/campaigns", {"name": "X", "audience": {"has_email": "maybe"}})

    assert response.status_code == 422
    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert {"audience.salary", "audience.stage", "audience.status"} <= fields
    assert any(field.startswith("audience.custom_fields") for field in fields)
    assert campaign.status_code == 422


def test_the_suppression_list_can_be_read_and_added_to(two_workspaces) -> None:
    alpha, beta = two_workspaces
    [lead_id] = add_leads(alpha.workspace, 1)
    client = api(alpha)

    added = post(client, "/api/v1/suppressions", {"email": f"LEAD0@{alpha.workspace.slug}.example"})
    again = post(client, "/api/v1/suppressions", {"email": f"lead0@{alpha.workspace.slug}.example"})
    bad = post(client, "/api/v1/suppressions", {"email": "not an email"})
    listed = client.get("/api/v1/suppressions").json()
    on_beta = api(beta).get("/api/v1/suppressions").json()

    assert added.status_code == 201 and added.json()["reason"] == "manual"
    assert added.json()["lead"] == lead_id
    assert again.status_code == 201 and again.json()["id"] == added.json()["id"]
    assert bad.status_code == 422
    assert [item["email"] for item in listed["items"]] == [f"LEAD0@{alpha.workspace.slug}.example"]
    assert on_beta["items"] == []
    with schema_context(alpha.workspace.schema_name):
        assert EventLog.objects.filter(verb="suppressed", object_id=lead_id).count() == 2


def test_email_settings_and_the_webhook_password(two_workspaces) -> None:
    alpha, beta = two_workspaces
    client = api(alpha)
    add_member(alpha.workspace, "member")
    member = bearer_client(alpha.workspace, f"member@{alpha.workspace.slug}.example")

    empty = client.get("/api/v1/email/settings").json()
    saved = patch(
        client,
        "/api/v1/email/settings",
        {"postal_address": " 1 High Street\nBristol ", "reply_to": "ada@alpha.example"},
    )
    bad = patch(client, "/api/v1/email/settings", {"reply_to": "nope"})
    unknown = patch(client, "/api/v1/email/settings", {"from": "x"})
    by_member = patch(member, "/api/v1/email/settings", {"postal_address": "x"})
    secret = post(client, "/api/v1/email/webhook-secret", {})
    member_secret = post(member, "/api/v1/email/webhook-secret", {})
    beta_view = api(beta).get("/api/v1/email/settings").json()

    assert empty["postal_address"] == "" and empty["webhook_configured"] is False
    assert saved.status_code == 200
    assert saved.json()["postal_address"] == "1 High Street\nBristol"
    assert bad.status_code == 422 and unknown.status_code == 422
    assert by_member.status_code == 403 and member_secret.status_code == 403
    body = secret.json()
    assert body["username"] == "postmark" and len(body["password"]) >= 40
    assert body["url"] == (
        f"http://postmark:{body['password']}@alpha.localhost:8000/webhooks/postmark"
    )
    assert client.get("/api/v1/email/settings").json()["webhook_configured"] is True
    assert beta_view["postal_address"] == "" and beta_view["webhook_configured"] is False


def test_the_address_set_through_the_api_is_what_campaigns_carry(make_workspace, postmark) -> None:
    from tests.support.email import create_campaign, run_jobs

    fixture = make_workspace()
    add_leads(fixture.workspace, 1)
    client = api(fixture)
    patch(client, "/api/v1/email/settings", {"postal_address": "9 Elm Row\nLeeds"})
    campaign = create_campaign(client)

    post(client, f"/api/v1/campaigns/{campaign['id']}/send", {})
    run_jobs(fixture.workspace, campaign["id"])

    assert "9 Elm Row, Leeds" in postmark.received[0]["TextBody"]
    set_postal_address(fixture.workspace, "")  # and without one, nothing more goes out
    second = create_campaign(client)
    assert post(client, f"/api/v1/campaigns/{second['id']}/send", {}).status_code == 409


def test_audiences_naming_what_the_workspace_lacks_are_422(two_workspaces) -> None:
    alpha, beta = two_workspaces
    with schema_context(alpha.workspace.schema_name):
        CustomFieldDefinition.objects.create(key="plan", label="Plan", field_type="text")
        from crm.models import PipelineStage

        alpha_stage = PipelineStage.objects.create(name="Alpha only", order=99).pk
    client = api(beta)

    response = post(
        client,
        "/api/v1/audiences/count",
        {"audience": {"stage": alpha_stage, "owner": 999999, "custom_fields": {"plan": "pro"}}},
    )

    assert response.status_code == 422
    assert {d["field"]: d["code"] for d in response.json()["error"]["details"]} == {
        "audience.stage": "unknown_stage",
        "audience.owner": "unknown_owner",
        "audience.custom_fields.plan": "unknown_field",
    }
