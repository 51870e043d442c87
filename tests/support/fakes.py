"""Test doubles of the services we call, on the loopback address, speaking their HTTP APIs."""

from __future__ import annotations

import json
import re
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
PUBLIC_DOMAINS = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com"})
DOMAIN_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


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

    The account API's Domains endpoints answer too (create, get, delete, verifyDkim,
    verifyReturnPath), with the account token `account_token`: `domains` holds what was
    registered by id, `publish_dns(name)` puts a domain's records "in DNS" so that the next
    verification finds them, and `account_calls` lists every (method, path) asked. The same
    `fail_next` answers apply to them.
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
    account_token: str = "account-token-1"
    domains: dict[int, dict[str, Any]] = field(default_factory=dict)
    dns_published: set[str] = field(default_factory=set)  # record hosts that now resolve
    account_calls: list[tuple[str, str]] = field(default_factory=list)
    next_domain_id: int = 36736
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish_dns(self, name: str, *, dkim: bool = True, return_path: bool = True) -> None:
        """The domain's owner added its records at their DNS provider."""
        with self.lock:
            for domain in self.domains.values():
                if domain["Name"] == name:
                    if dkim:
                        self.dns_published.add(domain["DKIMPendingHost"] or domain["DKIMHost"])
                    if return_path:
                        self.dns_published.add(domain["ReturnPathDomain"])

    def domain_named(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            return next((d for d in self.domains.values() if d["Name"] == name), None)

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
            if self.path.startswith("/domains"):
                self._account("POST")
                return
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

        def do_PUT(self) -> None:
            self._account("PUT")

        def do_DELETE(self) -> None:
            self._account("DELETE")

        def _account(self, method: str) -> None:
            """The Domains endpoints of Postmark's account API."""
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            path = urlparse(self.path).path
            with state.lock:
                state.account_calls.append((method, path))
                failure = state.fail_next.pop(0) if state.fail_next else None
            if isinstance(failure, int):
                headers = {"Retry-After": str(state.retry_after)} if failure == 429 else {}
                self._answer(failure, {"ErrorCode": failure, "Message": "Simulated"}, headers)
                return
            if failure == "slow":
                time.sleep(state.slow_seconds)
            if self.headers.get("X-Postmark-Account-Token") != state.account_token:
                self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing API token."})
                return
            parts = path.strip("/").split("/")
            if method == "POST" and parts == ["domains"]:
                self._answer(*self._create_domain(body))
                return
            if len(parts) < 2 or not parts[1].isdigit():
                self._answer(404, {"ErrorCode": 404, "Message": "Not found"})
                return
            with state.lock:
                domain = state.domains.get(int(parts[1]))
                if domain is None:
                    answer: Any = {"ErrorCode": 510, "Message": "This domain was not found."}
                    status = 422
                elif method == "GET" and len(parts) == 2:
                    status, answer = 200, dict(domain)
                elif method == "DELETE" and len(parts) == 2:
                    del state.domains[domain["ID"]]
                    status = 200
                    answer = {"ErrorCode": 0, "Message": f"Domain {domain['Name']} removed."}
                elif method == "PUT" and parts[2:] == ["verifyDkim"]:
                    if domain["DKIMPendingHost"] in state.dns_published:
                        domain["DKIMHost"] = domain["DKIMPendingHost"]
                        domain["DKIMTextValue"] = domain["DKIMPendingTextValue"]
                        domain["DKIMPendingHost"] = domain["DKIMPendingTextValue"] = ""
                        domain["DKIMVerified"] = True
                        domain["DKIMUpdateStatus"] = "Verified"
                    status, answer = 200, dict(domain)
                elif method == "PUT" and parts[2:] == ["verifyReturnPath"]:
                    found = domain["ReturnPathDomain"] in state.dns_published
                    domain["ReturnPathDomainVerified"] = found
                    status, answer = 200, dict(domain)
                else:
                    status, answer = 404, {"ErrorCode": 404, "Message": "Not found"}
            self._answer(status, answer)

        def _create_domain(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            name = str(body.get("Name") or "").lower()
            return_path = str(body.get("ReturnPathDomain") or f"pm-bounces.{name}").lower()
            if not DOMAIN_NAME.match(name) or not return_path.endswith(f".{name}"):
                return 422, {"ErrorCode": 511, "Message": "Invalid fields supplied."}
            if name in PUBLIC_DOMAINS:
                return 422, {"ErrorCode": 503, "Message": "You cannot use a public domain."}
            with state.lock:
                if any(d["Name"] == name for d in state.domains.values()):
                    return 422, {"ErrorCode": 512, "Message": "This domain already exists."}
                domain_id = state.next_domain_id
                state.next_domain_id += 1
                selector = f"20261201{domain_id}pm"
                domain = {
                    "ID": domain_id,
                    "Name": name,
                    "SPFVerified": False,
                    "SPFHost": name,
                    "SPFTextValue": "v=spf1 a mx include:spf.mtasv.net ~all",
                    "DKIMVerified": False,
                    "WeakDKIM": False,
                    "DKIMHost": "",
                    "DKIMTextValue": "",
                    "DKIMPendingHost": f"{selector}._domainkey.{name}",
                    "DKIMPendingTextValue": f"k=rsa;p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNAD{domain_id}"
                    + "QKBgQCFnKxbMDQ8zOq1KBm3b6tuWV4R0B8a0bmQ7iOb5Lb3ruHEbHgc0bf" * 3
                    + "IDAQAB",
                    "DKIMRevokedHost": "",
                    "DKIMRevokedTextValue": "",
                    "SafeToRemoveRevokedKeyFromDNS": False,
                    "DKIMUpdateStatus": "Pending",
                    "ReturnPathDomain": return_path,
                    "ReturnPathDomainVerified": False,
                    "ReturnPathDomainCNAMEValue": "pm.mtasv.net",
                }
                state.domains[domain_id] = domain
            return 200, dict(domain)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/domains"):
                self._account("GET")
                return
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
