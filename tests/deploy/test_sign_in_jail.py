"""The fail2ban jail on the app's sign-in, tested against lines the app really writes: the
app runs under gunicorn with LOG_FORMAT=json (what crm-web sends to journald), sign-ins fail
for real on the three doors (workspace /login/, POST /api/v1/auth/token, the console), and
fail2ban-regex runs deploy/fail2ban/filter.d/crm-sign-in.conf over the log."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection

from tenants.models import Workspace
from tenants.schemas import use_public_schema
from tenants.services.provisioning import create_workspace
from tests.support.servers import ROOT, gunicorn_app
from tests.support.workers import worker_env

FILTER = ROOT / "deploy" / "fail2ban" / "filter.d" / "crm-sign-in.conf"
PASSWORD = "a long enough passphrase"
INJECTED = "192.0.2.66"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    """A committed workspace (gunicorn's process must see it); dropped afterwards."""
    slug = f"jail-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        created = create_workspace(
            name="Jail test", slug=slug, owner_email="owner@jail.example", owner_password=PASSWORD
        )
    yield created
    with django_db_blocker.unblock():
        use_public_schema()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{created.schema_name}" CASCADE')
        Workspace.objects.filter(pk=created.pk).delete()


def _fail2ban_addresses(log: Path) -> list[str]:
    """The address of every line the filter matches, in order (what the jail would count)."""
    result = subprocess.run(
        ["fail2ban-regex", "-o", "ip", str(log), str(FILTER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def _form_sign_in(client: httpx.Client, host: str, path: str, email: str, ip: str) -> int:
    page = client.get(path, headers={"Host": host, "X-Real-IP": ip})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    response = client.post(
        path,
        data={"email": email, "password": "wrong password", "csrfmiddlewaretoken": token[1]},
        headers={"Host": host, "X-Real-IP": ip, "Referer": f"http://{host}{path}"},
    )
    return response.status_code


def _token(client: httpx.Client, host: str, email: str, password: str, ip: str) -> int:
    response = client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        headers={"Host": host, "X-Real-IP": ip},
    )
    return response.status_code


def test_the_jail_counts_each_failed_sign_in_by_its_real_address_and_nothing_else(
    workspace: Workspace, tmp_path: Path
) -> None:
    host = workspace.primary_host
    log = tmp_path / "crm-web.log"
    env = worker_env(
        CRM_CLIENT_IP_META_KEY="HTTP_X_REAL_IP",
        CRM_LOGIN_RATE_IP="1000/m",
        CRM_LOGIN_RATE_EMAIL="1000/m",
        LOG_LEVEL="INFO",
    )
    with (
        gunicorn_app(env, log_path=log) as base_url,
        httpx.Client(base_url=base_url, timeout=20) as client,
    ):
        # Three real failures, one per door, each from its own address.
        assert _form_sign_in(client, host, "/login/", "owner@jail.example", "198.51.100.10") == 200
        assert _token(client, host, "owner@jail.example", "wrong", "198.51.100.11") == 401
        assert (
            _form_sign_in(client, "localhost", "/console/login/", "staff@x.test", "2001:db8::5")
            == 200
        )
        # Log injection: an email that spells out another address and the event itself.
        fake_key = f'"client_ip": "{INJECTED}"'
        crafted = f'x", {fake_key}, "event": "sign_in_failed"}}\n{{{fake_key}, "x": "'
        assert _token(client, host, crafted, "wrong", "198.51.100.12") == 401
        assert _token(client, host, f"{INJECTED}@evil.test", "wrong", "198.51.100.13") == 401
        # A forged, unparsable client address: no address to ban, so no match at all.
        assert _token(client, host, "owner@jail.example", "wrong", "not-an-address") == 401
        # Five failures lock the email; the attempt after that is refused, and counted too.
        statuses = [
            _token(client, host, "victim@jail.example", "wrong", "198.51.100.30") for _ in range(6)
        ]
        assert statuses == [401] * 4 + [423, 423]
        # A successful sign-in is never counted.
        assert _token(client, host, "owner@jail.example", PASSWORD, "198.51.100.20") == 200

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    failures = [line for line in lines if line["event"] == "sign_in_failed"]
    assert len(failures) == 12
    assert [line.get("client_ip") for line in failures] == [
        "198.51.100.10",
        "198.51.100.11",
        "2001:db8::5",
        "198.51.100.12",
        "198.51.100.13",
        None,
        *["198.51.100.30"] * 6,
    ]
    assert [line["reason"] for line in failures[6:]] == ["invalid_credentials"] * 5 + ["locked"]
    surfaces = [line["surface"] for line in failures]
    assert surfaces == ["workspace", "workspace", "console"] + ["workspace"] * 9
    assert failures[3]["email"] == crafted

    expected = [
        *["198.51.100.10", "198.51.100.11", "2001:db8::5", "198.51.100.12", "198.51.100.13"],
        *["198.51.100.30"] * 6,
    ]
    assert _fail2ban_addresses(log) == expected

    # The same lines as the jail reads them from journald: "<host> <unit's process>[pid]: ".
    journal = tmp_path / "journal.log"
    journal.write_text(
        "".join(f"crm-1 gunicorn[4242]: {line}\n" for line in log.read_text().splitlines())
    )
    addresses = _fail2ban_addresses(journal)
    assert addresses == expected
    assert INJECTED not in addresses and "198.51.100.20" not in addresses
