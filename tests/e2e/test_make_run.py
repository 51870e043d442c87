"""The newcomer's path: `make run`'s launcher on a fresh database, then a real browser signs
in to the demo workspace with the printed login and sees its home page; Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import redis
from psycopg import sql

from tests.support.browser import chromium_page
from tests.support.servers import ROOT, free_port

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
E2E_REDIS_URL = "redis://127.0.0.1:6379/9"


@dataclass
class RunningApp:
    process: subprocess.Popen[str]
    port: int
    output: list[str]

    def login_for(self, role: str) -> tuple[str, str]:
        for line in self.output:
            match = re.match(rf"\s+{role}\s+(\S+)\s+/\s+(\S+)", line)
            if match:
                return match.group(1), match.group(2)
        raise AssertionError(f"no {role} login printed:\n{''.join(self.output)}")


def _read_until(process: subprocess.Popen[str], marker: str, output: list[str]) -> None:
    deadline = time.monotonic() + 180
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            raise AssertionError(f"launcher exited early:\n{''.join(output)}")
        output.append(line)
        if marker in line:
            return
    raise AssertionError(f"launcher never printed {marker!r}:\n{''.join(output)}")


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[str]:
    name = f"crm_e2e_{uuid.uuid4().hex[:10]}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="module")
def running_app(fresh_database: str) -> Iterator[RunningApp]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "PYTEST_XDIST_WORKER")},
        "DATABASE_URL": fresh_database,
        "REDIS_URL": E2E_REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }
    redis.Redis.from_url(E2E_REDIS_URL).flushdb()  # limits and caches of earlier runs
    process = subprocess.Popen(
        [sys.executable, "-m", "project.devrun", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        _read_until(process, "Open http://demo.localhost", output)
        app = RunningApp(process, port, output)
        _wait_for_port(port)
        yield app
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_visitor_signs_up_and_lands_signed_in_at_the_new_subdomain(
    running_app: RunningApp,
) -> None:
    apex = f"http://localhost:{running_app.port}"
    workspace = f"http://studio-e2e.localhost:{running_app.port}"

    with chromium_page() as page:
        page.goto(f"{apex}/")
        page.get_by_role("link", name="Create your workspace").click()
        page.get_by_label("Business name").fill("Studio E2E")
        page.get_by_label("Your address").fill("studio-e2e")
        page.get_by_label("Your name").fill("Grace Hopper")
        page.get_by_label("Your email").fill("grace@studio.example")
        page.get_by_label("Choose a password").fill("short")
        page.get_by_role("button", name="Create my workspace").click()
        assert "too short" in page.inner_text("main")
        page.get_by_label("Choose a password").fill("a long enough passphrase")
        page.get_by_role("button", name="Create my workspace").click()
        page.wait_for_url(f"{workspace}/")
        assert page.get_by_role("heading", name="Welcome to Studio E2E").is_visible()
        assert "Your workspace is ready" in page.inner_text(".toasts")
        page.get_by_role("link", name="Outbox").click()
        assert "Confirm your email for Studio E2E" in page.inner_text("main")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "signup-outbox.png"), full_page=True)
        page.get_by_role("link", name="Team").click()
        assert "grace@studio.example" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "team.png"), full_page=True)


def test_newcomer_signs_in_to_the_demo_workspace_and_ctrl_c_stops_everything(
    running_app: RunningApp,
) -> None:
    email, password = running_app.login_for("owner")
    base = f"http://demo.localhost:{running_app.port}"

    with chromium_page() as page:
        page.goto(f"{base}/")
        assert page.url == f"{base}/login/?next=/"
        assert page.get_by_role("heading", name="Sign in to Demo Coaching Co.").is_visible()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text().startswith("That email and password")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        # The demo has leads: its dashboard, not the first steps.
        assert page.get_by_role("heading", name="Dashboard").is_visible()
        assert "Total leads 2,000" in " ".join(page.inner_text("main").split())
        page.locator(".user-menu summary").click()  # the user menu names who is signed in
        assert email in page.inner_text(".user-menu")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "demo-home.png"), full_page=True)

    os.killpg(running_app.process.pid, signal.SIGINT)
    assert running_app.process.wait(timeout=30) == 0
    time.sleep(0.5)
    with pytest.raises(OSError):
        import socket

        socket.create_connection(("127.0.0.1", running_app.port), timeout=0.5).close()
    assert "Database: DATABASE_URL" in "".join(running_app.output)
