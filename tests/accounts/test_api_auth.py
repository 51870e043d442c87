"""API credentials: token pairs, API keys, and no credential crossing workspaces."""

from __future__ import annotations

from django.test import Client, override_settings
from django_tenants.utils import schema_context

from accounts.models import ApiKey, AuditEvent
from tests.support.clients import OWNER_PASSWORD, add_member, sign_in_client


def get_token(client: Client, email: str, password: str = OWNER_PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        {"email": email, "password": password},
        content_type="application/json",
    )


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def create_key(fixture, name: str = "Zapier") -> dict:
    response = fixture.signed_in_client().post(
        "/api/v1/api-keys", {"name": name}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_token_endpoint_answers_the_fixed_shape(make_workspace) -> None:
    fixture = make_workspace()

    response = get_token(fixture.client(), fixture.owner_email)

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    me = fixture.client().get("/api/v1/me", **bearer(body["access_token"]))
    assert me.json()["email"] == fixture.owner_email


def test_wrong_password_is_401_in_the_error_shape(make_workspace) -> None:
    fixture = make_workspace()

    response = get_token(fixture.client(), fixture.owner_email, "wrong")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


@override_settings(CRM_LOCKOUT_FAILURES=2)
def test_locked_account_gets_423_from_the_token_endpoint(make_workspace) -> None:
    fixture = make_workspace()
    get_token(fixture.client(), fixture.owner_email, "wrong")
    get_token(fixture.client(), fixture.owner_email, "wrong")

    response = get_token(fixture.client(), fixture.owner_email)

    assert response.status_code == 423
    assert response.json()["error"]["code"] == "account_locked"


@override_settings(CRM_LOCKOUT_FAILURES=2)
def test_any_typed_email_counts_towards_lock_out_without_cache_key_warnings(
    make_workspace,
) -> None:
    """The API takes any string as the email (the fuzzers send "unsubscribe link"): the
    lock-out still counts it, under a key every cache backend accepts."""
    import warnings

    from django.core.cache import CacheKeyWarning

    fixture = make_workspace()
    typed = "unsubscribe link"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        get_token(fixture.client(), typed, "wrong")
        get_token(fixture.client(), typed, "wrong")
        response = get_token(fixture.client(), typed, "wrong")

    assert response.status_code == 423
    assert response.json()["error"]["code"] == "account_locked"


def test_refresh_gives_a_new_pair_and_retires_the_old_refresh_token(make_workspace) -> None:
    fixture = make_workspace()
    first = get_token(fixture.client(), fixture.owner_email).json()

    refreshed = fixture.client().post(
        "/api/v1/auth/refresh",
        {"refresh_token": first["refresh_token"]},
        content_type="application/json",
    )
    replayed = fixture.client().post(
        "/api/v1/auth/refresh",
        {"refresh_token": first["refresh_token"]},
        content_type="application/json",
    )

    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != first["access_token"]
    assert replayed.status_code == 401


def test_missing_or_garbage_bearer_is_401(make_workspace) -> None:
    client = make_workspace().client()

    assert client.get("/api/v1/me").status_code == 401
    garbage = client.get("/api/v1/me", **bearer("cat_not-a-token"))
    assert garbage.status_code == 401
    assert garbage.json()["error"]["code"] == "not_authenticated"


def test_api_key_is_shown_once_stored_hashed_and_works(make_workspace) -> None:
    fixture = make_workspace()

    created = create_key(fixture)
    listed = fixture.signed_in_client().get("/api/v1/api-keys").json()
    me = fixture.client().get("/api/v1/me", **bearer(created["key"]))

    assert created["key"].startswith(created["prefix"])
    assert "key" not in listed[0]
    assert listed[0]["prefix"] == created["prefix"]
    assert me.json()["email"] == fixture.owner_email
    with schema_context(fixture.workspace.schema_name):
        stored = ApiKey.objects.get()
        assert created["key"] not in (stored.key_hash, stored.prefix)
        assert stored.last_used_at is not None
        assert AuditEvent.objects.filter(action="api_key_created").exists()


def test_revoked_api_key_is_401(make_workspace) -> None:
    fixture = make_workspace()
    created = create_key(fixture)

    revoked = fixture.signed_in_client().delete(f"/api/v1/api-keys/{created['id']}")
    response = fixture.client().get("/api/v1/me", **bearer(created["key"]))

    assert revoked.json()["revoked_at"] is not None
    assert response.status_code == 401
    with schema_context(fixture.workspace.schema_name):
        assert AuditEvent.objects.filter(action="api_key_revoked").exists()


def test_api_key_page_shows_the_new_key_once_and_revokes(make_workspace) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()

    created = client.post("/settings/api-keys/", {"name": "Website form"})
    again = client.get("/settings/api-keys/")
    with schema_context(fixture.workspace.schema_name):
        key = ApiKey.objects.get()
    client.post(f"/settings/api-keys/{key.pk}/revoke/")

    assert "Copy your new key now" in created.text
    assert key.prefix in created.text
    assert "Copy your new key now" not in again.text
    assert "Revoked" in client.get("/settings/api-keys/").text


def test_credentials_of_one_workspace_are_401_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces
    key = create_key(alpha)["key"]
    token = get_token(alpha.client(), alpha.owner_email).json()["access_token"]
    alpha_session = alpha.signed_in_client()
    replayed_session = Client(HTTP_HOST=beta.host)
    replayed_session.cookies = alpha_session.cookies

    for credentials in (bearer(key), bearer(token)):
        response = beta.client().get("/api/v1/team", **credentials)
        assert response.status_code == 401
        assert "alpha" not in response.text
    session_response = replayed_session.get("/api/v1/team")
    assert session_response.status_code == 401
    assert alpha.owner_email not in session_response.text


def test_password_of_one_workspace_gets_no_token_in_another(two_workspaces) -> None:
    alpha, beta = two_workspaces

    response = get_token(beta.client(), alpha.owner_email)

    assert response.status_code == 401


@override_settings(CRM_API_RATE_KEY="3/m")
def test_api_is_rate_limited_per_key(make_workspace) -> None:
    fixture = make_workspace()
    first, second = create_key(fixture, "one")["key"], create_key(fixture, "two")["key"]
    for _ in range(3):
        assert fixture.client().get("/api/v1/me", **bearer(first)).status_code == 200

    limited = fixture.client().get("/api/v1/me", **bearer(first))
    other_key = fixture.client().get("/api/v1/me", **bearer(second))

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) >= 1
    assert other_key.status_code == 200


@override_settings(CRM_LOGIN_RATE_EMAIL="2/m")
def test_token_endpoint_is_rate_limited_per_email(make_workspace) -> None:
    fixture = make_workspace()
    for address in ("10.0.0.1", "10.0.0.2"):
        fixture.client().post(
            "/api/v1/auth/token",
            {"email": fixture.owner_email, "password": "x"},
            content_type="application/json",
            REMOTE_ADDR=address,
        )

    response = get_token(fixture.client(), fixture.owner_email)

    assert response.status_code == 429
    assert "Retry-After" in response


def test_member_session_can_read_itself_but_not_keys(make_workspace) -> None:
    fixture = make_workspace()
    member = add_member(fixture.workspace, "member")
    client = sign_in_client(fixture.workspace, member.email)

    assert client.get("/api/v1/me").json()["role"] == "member"
    forbidden = client.get("/api/v1/api-keys")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"
