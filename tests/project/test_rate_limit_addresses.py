"""Rate limits by address never fail on the address itself: a missing one, or a proxy
header a client filled with something else, is counted, not a 500."""

from __future__ import annotations

from django.test import Client, override_settings

from tests.support.clients import post


def test_sign_in_without_a_client_address_is_answered(make_workspace) -> None:
    fixture = make_workspace()
    client = Client(HTTP_HOST=fixture.host, REMOTE_ADDR="")

    response = post(
        client, "/api/v1/auth/token", {"email": fixture.owner_email, "password": "wrong"}
    )

    assert response.status_code == 401


@override_settings(RATELIMIT_IP_META_KEY="HTTP_X_REAL_IP")
def test_a_forged_proxy_header_is_counted_not_a_500(apex_client: Client) -> None:
    body = {"name": "N", "slug": "forged", "owner_email": "a@x.example", "owner_password": "x"}

    for header in ("not an address", "1.2.3.4, 5.6.7.8", ""):
        response = apex_client.post(
            "/api/workspaces", body, content_type="application/json", HTTP_X_REAL_IP=header
        )
        assert response.status_code in (201, 409, 422), (header, response.content)
