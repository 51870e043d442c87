"""Test doubles of the services we call, on the loopback address, speaking their HTTP APIs."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

INACTIVE_RECIPIENT = 406


@dataclass
class FakePostmark:
    """What the double received, and how it should misbehave next.

    `fail_next` holds answers for the next requests, one each: an HTTP status (429 or 5xx,
    with `retry_after` for 429), "slow" (sleep past the client's timeout, then accept) or
    "drop" (accept the batch, record it, then close the connection without answering).
    `refuse` maps recipient addresses to a Postmark ErrorCode answered inside a 200 batch
    response (a 422 for a single send). `respond_delay` holds every answer back after the
    messages are accepted (a worker killed then has sent them without knowing it).
    `keep_bodies=False` keeps only recipients and metadata (large benchmarks).
    """

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    batch_times: list[float] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    fail_next: list[Any] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1
    slow_seconds: float = 3.0
    respond_delay: float = 0.0
    keep_bodies: bool = True
    in_flight: int = 0
    last_accepted_at: float = 0.0  # monotonic, this process
    first_accepted_wall: float = 0.0  # time.time(), comparable across processes
    last_accepted_wall: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted_to(self) -> list[str]:
        """Every recipient the double accepted, once per accepted message."""
        return [message["To"] for message in self.received]


@contextmanager
def fake_postmark(port: int = 0) -> Iterator[FakePostmark]:
    """POST /email, POST /email/batch and GET /messages/outbound (search by metadata)."""
    state = FakePostmark(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            with state.lock:
                state.in_flight += 1
            try:
                self._post()
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _post(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.tokens.append(self.headers.get("X-Postmark-Server-Token", ""))
                failure = state.fail_next.pop(0) if state.fail_next else None
            if isinstance(failure, int):
                headers = {"Retry-After": str(state.retry_after)} if failure == 429 else {}
                self._answer(failure, {"ErrorCode": failure, "Message": "Simulated"}, headers)
                return
            if failure == "slow":
                time.sleep(state.slow_seconds)
            if self.path == "/email":
                answer = self._accept(body)
                status = 422 if answer["ErrorCode"] else 200
                time.sleep(state.respond_delay)
                self._answer(status, answer)
            elif self.path == "/email/batch":
                answers = [self._accept(message) for message in body]
                with state.lock:
                    state.batches.append(len(body))
                    state.batch_times.append(time.monotonic())
                if failure == "drop":
                    self.connection.close()
                    return
                time.sleep(state.respond_delay)
                self._answer(200, answers)
            else:
                self._answer(404, {"ErrorCode": 404, "Message": "Not found"})

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/_double/stats":  # for a benchmark driving the double from afar
                with state.lock:
                    recipients = [message["To"] for message in state.received]
                    stats = {
                        "received": len(recipients),
                        "distinct_recipients": len(set(recipients)),
                        "batches": len(state.batches),
                        "first_accepted_wall": state.first_accepted_wall,
                        "last_accepted_wall": state.last_accepted_wall,
                    }
                self._answer(200, stats)
                return
            if url.path != "/messages/outbound":
                self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                return
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            wanted = {
                key.removeprefix("metadata_"): value
                for key, value in query.items()
                if key.startswith("metadata_")
            }
            with state.lock:
                found = [
                    message
                    for message in state.received
                    if all((message.get("Metadata") or {}).get(k) == v for k, v in wanted.items())
                ]
            offset, count = int(query.get("offset", 0)), min(int(query.get("count", 50)), 500)
            self._answer(
                200,
                {
                    "TotalCount": len(found),
                    "Messages": [
                        {
                            "MessageID": message["_id"],
                            "To": [{"Email": message["To"]}],
                            "Metadata": message.get("Metadata") or {},
                            "Status": "Sent",
                        }
                        for message in found[offset : offset + count]
                    ],
                },
            )

        def _accept(self, message: dict[str, Any]) -> dict[str, Any]:
            code = state.refuse.get(message["To"], 0)
            if code:
                return {"ErrorCode": code, "Message": "Refused by the double", "To": message["To"]}
            message_id = str(uuid.uuid4())
            kept = (
                message
                if state.keep_bodies
                else {"To": message["To"], "Metadata": message.get("Metadata")}
            )
            with state.lock:
                state.received.append({**kept, "_id": message_id})
                state.last_accepted_at = time.monotonic()
                state.last_accepted_wall = time.time()
                state.first_accepted_wall = state.first_accepted_wall or state.last_accepted_wall
            return {
                "To": message["To"],
                "SubmittedAt": "2026-11-24T00:00:00Z",
                "MessageID": message_id,
                "ErrorCode": 0,
                "Message": "OK",
            }

        def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def serve_forever(port: int) -> None:
    """The double as a process of its own (benchmarks): keeps recipients only."""
    with fake_postmark(port=port) as double:
        double.keep_bodies = False
        print(double.url, flush=True)  # noqa: T201 - the parent reads the address
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    import sys

    serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
