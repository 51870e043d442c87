"""Real processes for tests that need them: the app under gunicorn, and a silent TCP peer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_tcp_peer() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for peer in held:
            peer.close()
        server.close()


@contextmanager
def gunicorn_app(
    env: dict[str, str],
    *,
    log_path: Path,
    port: int | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """The WSGI app under gunicorn on a free loopback port (or `port`, when the app must know
    its own port beforehand, e.g. for CRM_PUBLIC_PORT); yields its base URL. `args` come
    last, so they override the defaults (e.g. ["--workers", "2", "--config", path])."""
    port = port or free_port()
    full_env = {**os.environ, "DJANGO_ENV": "test", **env}
    full_env.pop("PYTEST_XDIST_WORKER", None)
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "project.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "30",
                *args,
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn exited early:\n{log_path.read_text()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"gunicorn did not listen in time:\n{log_path.read_text()}")
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
