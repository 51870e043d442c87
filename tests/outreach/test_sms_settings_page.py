"""Settings → SMS: an admin connects the workspace's Twilio account (checked with the
double before it is saved), the secrets are never shown again (last four only; empty keeps
them), Twilio's refusals show on the form and save nothing, the inbound URL is there to
copy, the HELP answer is kept (<= 320 characters, on the API too), disconnecting forgets
it; members get 403; another workspace's session never reads or changes it."""

from __future__ import annotations

from django_tenants.utils import schema_context

from sms.models import SmsAccount
from tests.support.clients import add_member, api, sign_in_client
from tests.support.pages import page_text
from tests.support.twilio_double import TwilioAccount, TwilioDouble

PATH = "/settings/sms/"


def form(account: TwilioAccount, **fields) -> dict:
    return {
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "api_key_sid": "",
        "api_key_secret": "",
        "phone_number": "+1 415 555 0100",
        "messaging_service_sid": "",
        "send_rate": "3",
        "help_text": "Harbour Coaching: class reminders. Reply STOP to opt out.",
        **fields,
    }


def stored(workspace) -> SmsAccount | None:
    with schema_context(workspace.schema_name):
        return SmsAccount.objects.filter(pk=1).first()


def test_an_admin_connects_twilio_and_the_token_is_never_shown_again(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    account = twilio.add_account(friendly_name="Harbour Twilio")
    client = fixture.signed_in_client()

    empty = client.get(PATH)
    saved = client.post(PATH, form(account), follow=True)
    again = client.post(PATH, form(account, auth_token="", send_rate="4"), follow=True)

    assert empty.status_code == 200 and "Not connected" in page_text(empty)
    assert f"http://{fixture.workspace.primary_host}" in page_text(empty)
    assert "/webhooks/twilio/inbound" in page_text(empty)
    assert 'data-copy="' in empty.content.decode()
    assert saved.status_code == 200
    text = page_text(saved)
    assert "Harbour Twilio" in text and "is connected" in text
    assert f"ending …{account.auth_token[-4:]}" in text
    assert account.auth_token not in saved.content.decode()
    assert "Leave empty to keep it." in text
    assert again.status_code == 200
    row = stored(fixture.workspace)
    assert row is not None
    assert row.auth_token == account.auth_token  # empty kept it
    assert row.send_rate == 4 and row.phone_number == "+14155550100"
    assert row.help_text.startswith("Harbour Coaching: class reminders")
    assert account.auth_token not in again.content.decode()


def test_twilio_refusing_the_token_shows_on_the_form_and_saves_nothing(
    make_workspace, twilio: TwilioDouble
) -> None:
    fixture = make_workspace()
    account = twilio.add_account()

    answer = fixture.signed_in_client().post(PATH, form(account, auth_token="f" * 32))
    long_help = fixture.signed_in_client().post(PATH, form(account, help_text="x" * 321))

    assert answer.status_code == 422
    assert "Twilio did not accept this account SID and auth token" in page_text(answer)
    assert long_help.status_code == 422
    assert stored(fixture.workspace) is None


def test_twilio_not_answering_is_503_and_saves_nothing(make_workspace, twilio) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    twilio.fail_next.append(503)

    answer = fixture.signed_in_client().post(PATH, form(account))

    assert answer.status_code == 503
    assert "Try again in a minute" in page_text(answer)
    assert stored(fixture.workspace) is None


def test_disconnecting_forgets_the_account(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    client.post(PATH, form(twilio.add_account()))

    answer = client.post("/settings/sms/disconnect/", follow=True)

    assert answer.status_code == 200
    assert "Twilio is disconnected" in page_text(answer)
    assert stored(fixture.workspace) is None


def test_the_help_text_through_the_api(make_workspace, twilio: TwilioDouble) -> None:
    fixture = make_workspace()
    account = twilio.add_account()
    client = api(fixture)
    body = {
        "account_sid": account.sid,
        "auth_token": account.auth_token,
        "phone_number": "+14155550100",
    }

    first = client.put(
        "/api/v1/sms/account", {**body, "help_text": "Ask us anything."}, "application/json"
    )
    kept = client.put("/api/v1/sms/account", body, "application/json")
    too_long = client.put(
        "/api/v1/sms/account", {**body, "help_text": "x" * 321}, "application/json"
    )

    assert first.status_code == 200 and first.json()["help_text"] == "Ask us anything."
    assert kept.json()["help_text"] == "Ask us anything."  # left out: kept
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["field"] == "help_text"
    row = stored(fixture.workspace)
    assert row is not None and row.help_text == "Ask us anything."


def test_a_member_gets_403_and_the_settings_link_is_there(make_workspace, twilio) -> None:
    fixture = make_workspace()
    member = sign_in_client(fixture.workspace, add_member(fixture.workspace, "member").email)

    page = member.get(PATH)
    posted = member.post(PATH, form(twilio.add_account()))
    index = fixture.signed_in_client().get("/settings/")

    assert page.status_code == 403 and posted.status_code == 403
    assert stored(fixture.workspace) is None
    assert 'href="/settings/sms/"' in index.content.decode()


def test_another_workspace_never_reads_or_changes_it(two_workspaces, twilio: TwilioDouble) -> None:
    alpha, beta = two_workspaces
    account = twilio.add_account()
    alpha.signed_in_client().post(PATH, form(account))
    alpha_cookie = alpha.signed_in_client().cookies
    intruder = beta.signed_in_client()
    intruder.cookies = alpha_cookie  # alpha's session on beta's host means nothing there

    shown = beta.signed_in_client().get(PATH)
    disconnected = beta.signed_in_client().post("/settings/sms/disconnect/")
    with_alpha_cookie = intruder.post("/settings/sms/disconnect/")

    assert shown.status_code == 200 and "Not connected" in page_text(shown)
    assert account.sid not in shown.content.decode()
    assert disconnected.status_code == 404
    assert with_alpha_cookie.status_code in (302, 403)  # signed out there: to the login page
    assert stored(alpha.workspace) is not None
    assert stored(beta.workspace) is None
