"""The nginx site deploy/provision renders, served for real: nginx runs it (its listen ports
moved to free loopback ones, nothing else changed) with a self-signed wildcard certificate,
in front of an upstream that echoes the headers it received."""

from __future__ import annotations

import getpass
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ROOT, free_port

DOMAIN = "crm.example.test"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0lq7cHgXn1oR4mEe0rDq3Zb0pJ9y3k5ZfC2hX1yT8b ops@laptop"


class _Echo(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        _Echo.seen.append({"path": self.path, **headers})
        body = json.dumps(headers).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Site:
    https_port: int
    http_port: int
    app_root: Path
    tls: ssl.SSLContext

    def get(self, host: str, path: str = "/", *, sni: str | None = None, **headers: str):
        with httpx.Client(verify=self.tls, timeout=10) as client:
            return client.get(
                f"https://127.0.0.1:{self.https_port}{path}",
                headers={"Host": host, **headers},
                extensions={"sni_hostname": sni or host},
            )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1",
         "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN},DNS:*.{DOMAIN}",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    app_root = tmp_path / "srv-crm"
    for release in ("one", "two"):
        static = app_root / "releases" / release / "staticfiles"
        static.mkdir(parents=True)
        (static / "app.css").write_text(f"/* release {release} */\n")
    (app_root / "current").symlink_to(app_root / "releases" / "one")
    _Echo.seen = []
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    root = tmp_path / "root"
    subprocess.run(
        ["bash", str(ROOT / "deploy/provision"), "--root", str(root), "--files-only",
         "--domain", DOMAIN, "--ssh-key", KEY, "--tls-cert-dir", str(certs),
         "--prefix", str(app_root), "--upstream", f"127.0.0.1:{upstream.server_port}"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    https_port, http_port = free_port(), free_port()
    rendered = (root / "etc/nginx/sites-available/crm.conf").read_text()
    # Only the ports move (and IPv6 goes, this machine may have none).
    served = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", rendered)
    served = re.sub(r"listen 443\b", f"listen 127.0.0.1:{https_port}", served)
    served = re.sub(r"listen 80\b", f"listen 127.0.0.1:{http_port}", served)
    (tmp_path / "site.conf").write_text(served)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"user {getpass.getuser()};\ndaemon off;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/nginx-error.log;\nevents {{}}\nhttp {{\n"
        "  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {temp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {tmp_path}/site.conf;\n}}\n"
    )  # fmt: skip
    nginx = subprocess.Popen(
        ["/usr/sbin/nginx", "-c", str(conf), "-e", str(tmp_path / "nginx-error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"nginx did not start: {(tmp_path / 'nginx-error.log').read_text()}"
                    )
                time.sleep(0.05)
        tls = ssl.create_default_context(cafile=str(certs / "fullchain.pem"))
        yield Site(https_port=https_port, http_port=http_port, app_root=app_root, tls=tls)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        upstream.shutdown()
        upstream.server_close()


def test_the_proxy_keeps_the_host_and_sets_the_client_and_scheme_itself(site: Site) -> None:
    for host in (f"acme.{DOMAIN}", DOMAIN):
        response = site.get(
            host, "/leads/?page=2", **{"X-Real-IP": "192.0.2.66", "X-Forwarded-For": "192.0.2.66"}
        )

        assert response.status_code == 200
        received = response.json()
        assert received["host"] == host
        # A client's own X-Real-IP / X-Forwarded-For never reach the app: nginx's peer does.
        assert received["x-real-ip"] == "127.0.0.1"
        assert received["x-forwarded-for"] == "127.0.0.1"
        assert received["x-forwarded-proto"] == "https"
        assert re.fullmatch(r"[0-9a-f]{32}", received["x-request-id"])
    assert [seen["path"] for seen in _Echo.seen] == ["/leads/?page=2"] * 2


def test_static_files_come_from_the_current_release_without_the_app(site: Site) -> None:
    first = site.get(f"acme.{DOMAIN}", "/static/app.css")
    (site.app_root / "current").unlink()
    (site.app_root / "current").symlink_to(site.app_root / "releases" / "two")
    second = site.get(f"acme.{DOMAIN}", "/static/app.css")

    assert (first.status_code, first.text) == (200, "/* release one */\n")
    assert (second.status_code, second.text) == (200, "/* release two */\n")
    assert first.headers["content-type"] == "text/css"
    assert _Echo.seen == []


def test_plain_http_is_sent_to_https_on_the_same_name(site: Site) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{site.http_port}/login/?next=/", headers={"Host": f"acme.{DOMAIN}"}
    )

    assert response.status_code == 301
    assert response.headers["location"] == f"https://acme.{DOMAIN}/login/?next=/"


def test_other_names_get_no_certificate_and_no_answer(site: Site) -> None:
    with pytest.raises(httpx.ConnectError):
        site.get("crm.other.example", sni="crm.other.example")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"http://127.0.0.1:{site.http_port}/", headers={"Host": "203.0.113.5"})
    assert _Echo.seen == []


def test_a_body_over_the_limit_is_refused_by_nginx(site: Site) -> None:
    raw = socket.create_connection(("127.0.0.1", site.https_port), timeout=10)
    with site.tls.wrap_socket(raw, server_hostname=f"acme.{DOMAIN}") as tls:
        tls.sendall(
            f"POST /leads/import/ HTTP/1.1\r\nHost: acme.{DOMAIN}\r\n"
            "Content-Type: text/csv\r\nContent-Length: 25000000\r\n\r\n".encode()
        )
        status_line = tls.recv(200).split(b"\r\n")[0]

    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert _Echo.seen == []
