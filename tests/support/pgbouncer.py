"""A real PgBouncer (Debian's /usr/sbin/pgbouncer) in front of the local PostgreSQL, on a free
loopback port, with its config in a temporary directory."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@dataclass
class PgBouncer:
    port: int
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def server_connections_opened(self, database: str) -> int:
        """Connections PgBouncer opened to PostgreSQL for `database` so far."""
        return sum(
            1
            for line in self.log().splitlines()
            if "new connection to server" in line and f" {database}/" in line
        )

    def client_logins(self, database: str) -> int:
        return self.log().count(f"login attempt: db={database} ")


@contextmanager
def pgbouncer(
    *, server_host: str, server_port: int, user: str, settings: Mapping[str, str]
) -> Iterator[PgBouncer]:
    """PgBouncer with `settings` (pool_mode, default_pool_size...) in its [pgbouncer] section,
    passing every database name through to the server, listening on the loopback address,
    with trust authentication like the local PostgreSQL it fronts and a line per connection in
    its log."""
    if not os.path.exists(PGBOUNCER):
        pytest.fail("PgBouncer is not installed: apt-get install -y pgbouncer (see .ci/run).")
    # PgBouncer refuses to run as root; as root it is told to become an unprivileged user,
    # who must be able to read its config (tmp_path sits under a directory only we may enter).
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    directory.chmod(0o755)
    port = free_port()
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    section = {
        **settings,
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "unix_socket_dir": "",
        "auth_type": "trust",
        "auth_file": str(directory / "userlist.txt"),
        "admin_users": user,
        "log_connections": "1",
    }
    lines = [f"{key} = {value}" for key, value in section.items()]
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={server_host} port={server_port}\n\n[pgbouncer]\n"
        + "\n".join(lines)
        + "\n"
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    command = [PGBOUNCER, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        unprivileged = "postgres" if _user_exists("postgres") else "nobody"
        command[1:1] = ["--user", unprivileged]
    log_path = directory / "pgbouncer.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"PgBouncer exited early:\n{log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail(f"PgBouncer did not listen in time:\n{log_path.read_text()}")
        yield PgBouncer(port, log_path)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
