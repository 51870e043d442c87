"""A Sentry receiver on the loopback address: takes the SDK's envelopes (POST
/api/<project>/envelope/, gzip or not) and keeps the events they carry."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeSentry:
    url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return f"http://public@{self.url.removeprefix('http://')}/1"


def envelope_items(body: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """(item header, payload) of each item of an envelope (develop.sentry.dev/sdk/envelopes)."""
    _, _, rest = body.partition(b"\n")  # the envelope's own header
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        yield header, payload


@contextmanager
def fake_sentry() -> Iterator[FakeSentry]:
    received = FakeSentry(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.paths.append(self.path)
            received.raw.append(body)
            for header, payload in envelope_items(body):
                if header.get("type") == "event":
                    received.events.append(json.loads(payload))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
