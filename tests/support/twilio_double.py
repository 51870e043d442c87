"""A Twilio double on the loopback address, speaking the part of Twilio's REST API we use.

The official `twilio` client talks to it (TWILIO_API_BASE). Resources, as Twilio spells them:

- `GET /2010-04-01/Accounts/{AccountSid}.json`: fetch the account (how credentials are checked);
- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: create a message (form-encoded `To`,
  `From` or `MessagingServiceSid`, `Body`, `StatusCallback`);
- `GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`: fetch one;
- `GET /2010-04-01/Accounts/{AccountSid}/Messages.json`: list, newest first, filtered by `To`,
  `From`, `DateSent` / `DateSent<` / `DateSent>` (YYYY-MM-DD), paged with `PageSize` and
  `next_page_uri`.

HTTP basic auth as Twilio takes it: the account SID with its auth token, or an API key SID
(SK...) with its secret, the key belonging to the account in the path. Wrong credentials: 401
with Twilio's error 20003.

Refusals with Twilio's error codes: a `To` that is no valid number (21211, `phonenumbers`
decides), numbers listed in `refusals` (e.g. 21614 a landline, 21610 a recipient who replied
STOP), a body over 1,600 characters (21617).

Misbehaviour on demand (`fail_next`, one entry consumed per request): 429 (with Retry-After:
`retry_after`), any 5xx, "slow" (do the work, then answer after `slow_seconds`, past the
client's timeout) or "drop" (do the work, then close the connection without answering).

`inbound(url, from_, to, body, account_sid)` is a lead texting the account's number: the form
Twilio posts to the number's inbound webhook, signed the same way; it returns the app's
answer (status and TwiML).

`status_callback(sid, status)` posts the callback Twilio would send to the message's
StatusCallback URL, signed exactly as Twilio signs (`signature`: base64 HMAC-SHA1 of the full
URL followed by each POST parameter's name and value in name order, keyed by the account's
auth token; Twilio signs with the auth token even when the message was made with an API key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import phonenumbers

API_VERSION = "2010-04-01"
MAX_BODY = 1600
POOL_NUMBER = "+15005550006"  # the number a messaging service picks from its pool here
_counter = itertools.count(1)


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return f"{prefix}{next(_counter):08x}{secrets.token_hex(12)}"


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`, as Twilio computes it."""
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def post_signed(
    url: str, params: Mapping[str, str], auth_token: str, *, via: Any = None
) -> tuple[int, str]:
    """POST `params` form-encoded to `url` with Twilio's signature for that URL; returns the
    HTTP status and body. `via` is a Django test client: the same request (host, scheme,
    path and query of `url`) goes through it in this process instead of over the network,
    for tests whose rows a server in another process could not see."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(url, params, auth_token),
        "User-Agent": "TwilioProxy/1.1",
    }
    if via is not None:
        parsed = urlparse(url)
        path = f"{parsed.path}?{parsed.query}" if parsed.query else parsed.path
        answer = via.post(
            path,
            data=urlencode(params),
            content_type=headers["Content-Type"],
            headers={"X-Twilio-Signature": headers["X-Twilio-Signature"]},
            HTTP_HOST=parsed.netloc,
            secure=parsed.scheme == "https",
        )
        return int(answer.status_code), answer.content.decode()
    target = urlparse(url)
    if (target.hostname or "").endswith(".localhost"):
        # A workspace's host (<slug>.localhost) is the loopback address, as browsers take it
        # (RFC 6761) though the system resolver may not: connect there, keep the Host.
        headers["Host"] = target.netloc
        netloc = f"127.0.0.1:{target.port}" if target.port else "127.0.0.1"
        url = target._replace(netloc=netloc).geturl()
    request = urllib.request.Request(
        url, data=urlencode(params).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass
class TwilioAccount:
    sid: str
    auth_token: str
    friendly_name: str = "Test account"
    status: str = "active"  # or "suspended", "closed"
    api_keys: dict[str, str] = field(default_factory=dict)  # key SID -> secret

    def add_api_key(self) -> tuple[str, str]:
        key_sid, key_secret = new_sid("SK"), secrets.token_urlsafe(24)
        self.api_keys[key_sid] = key_secret
        return key_sid, key_secret


@dataclass
class TwilioDouble:
    url: str = ""
    accounts: dict[str, TwilioAccount] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # sid -> resource
    status_callbacks: dict[str, str] = field(default_factory=dict)  # message sid -> URL
    requests: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # what status_callback sent
    inbound_messages: list[dict[str, Any]] = field(default_factory=list)  # what inbound sent
    refusals: dict[str, int] = field(default_factory=dict)  # To -> Twilio error code
    fail_next: list[Any] = field(default_factory=list)
    retry_after: int = 2
    slow_seconds: float = 2.0
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- what tests set up and read ---------------------------------------------------------
    def add_account(self, **fields: Any) -> TwilioAccount:
        account = TwilioAccount(sid=new_sid("AC"), auth_token=secrets.token_hex(16), **fields)
        with self.lock:
            self.accounts[account.sid] = account
        return account

    def sent(self, account_sid: str | None = None) -> list[dict[str, Any]]:
        """Every message accepted, oldest first (of one account, when named)."""
        with self.lock:
            return [
                message
                for message in self.messages.values()
                if account_sid is None or message["account_sid"] == account_sid
            ]

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        return [message for message in self.sent() if message["to"] == number]

    def calls(self, method: str, path_suffix: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [
                request
                for request in self.requests
                if request["method"] == method and request["path"].endswith(path_suffix)
            ]

    def status_callback(
        self, message_sid: str, status: str, *, error_code: int | None = None, via: Any = None
    ) -> int:
        """Move the message to `status` and post Twilio's signed status callback to its
        StatusCallback URL; returns the HTTP status the app answered. `via`: a Django test
        client to post with instead of the network (see post_signed)."""
        with self.lock:
            message = self.messages[message_sid]
            message["status"] = status
            if status in ("sent", "delivered") and not message["date_sent"]:
                message["date_sent"] = rfc2822(datetime.now(UTC))
            if error_code is not None:
                message["error_code"] = error_code
            url = self.status_callbacks[message_sid]
            token = self.accounts[message["account_sid"]].auth_token
        params = {
            "AccountSid": message["account_sid"],
            "ApiVersion": API_VERSION,
            "From": message["from"] or "",
            "MessageSid": message_sid,
            "MessageStatus": status,
            "SmsSid": message_sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if message["messaging_service_sid"]:
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        code, _ = post_signed(url, params, token, via=via)
        with self.lock:
            self.callbacks.append({"url": url, "params": params, "status": code})
        return code

    def inbound(
        self,
        url: str,
        from_: str,
        to: str,
        body: str,
        account_sid: str,
        *,
        num_media: int = 0,
        via: Any = None,
    ) -> tuple[int, str]:
        """A lead texts `to` (the account's number): post the form Twilio posts to the
        number's "A message comes in" webhook `url`, signed with the account's auth token.
        Returns the app's answer: HTTP status and body (TwiML)."""
        sid = new_sid("SM")
        params = {
            "AccountSid": account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "FromCountry": "US",
            "MessageSid": sid,
            "NumMedia": str(num_media),
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
            "ToCountry": "US",
        }
        with self.lock:
            token = self.accounts[account_sid].auth_token
        code, answer = post_signed(url, params, token, via=via)
        with self.lock:
            self.inbound_messages.append(
                {"url": url, "params": params, "status": code, "answer": answer}
            )
        return code, answer


@contextmanager
def twilio_double() -> Iterator[TwilioDouble]:
    double = TwilioDouble()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def _handle(self, method: str) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = dict(parse_qsl(raw, keep_blank_values=True))
            query = dict(parse_qsl(parsed.query, keep_blank_values=True))
            with double.lock:
                double.requests.append(
                    {
                        "method": method,
                        "path": parsed.path,
                        "query": query,
                        "form": form,
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                failure = double.fail_next.pop(0) if double.fail_next else None
            if failure == 429:
                self._answer(
                    429,
                    twilio_error(429, 20429, "Too Many Requests"),
                    {"Retry-After": str(double.retry_after)},
                )
                return
            if isinstance(failure, int) and failure >= 500:
                self._answer(failure, twilio_error(failure, 20500, "Internal Server Error"))
                return
            status, payload = self._route(method, parsed.path, form, query)
            if failure == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if failure == "slow":
                time.sleep(double.slow_seconds)
            self._answer(status, payload)

        def _route(
            self, method: str, path: str, form: dict[str, str], query: dict[str, str]
        ) -> tuple[int, dict[str, Any]]:
            parts = path.strip("/").split("/")
            if len(parts) < 3 or parts[0] != API_VERSION or parts[1] != "Accounts":
                return 404, twilio_error(404, 20404, "The requested resource was not found")
            account_sid = parts[2].removesuffix(".json")
            account = self._authenticated(account_sid)
            if account is None:
                return 401, twilio_error(401, 20003, "Authenticate")
            rest = parts[3:]
            if not rest and method == "GET":
                return 200, self._account_resource(account)
            if rest == ["Messages.json"] and method == "POST":
                return self._create_message(account, form)
            if rest == ["Messages.json"] and method == "GET":
                return 200, self._list_messages(account, query)
            if len(rest) == 2 and rest[0] == "Messages" and method == "GET":
                with double.lock:
                    found = double.messages.get(rest[1].removesuffix(".json"))
                if found is None or found["account_sid"] != account.sid:
                    return 404, twilio_error(404, 20404, "The requested resource was not found")
                return 200, found
            return 404, twilio_error(404, 20404, "The requested resource was not found")

        def _authenticated(self, account_sid: str) -> TwilioAccount | None:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return None
            try:
                username, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return None
            with double.lock:
                account = double.accounts.get(account_sid)
            if account is None:
                return None
            if username == account.sid and hmac.compare_digest(password, account.auth_token):
                return account
            key_secret = account.api_keys.get(username)
            if key_secret is not None and hmac.compare_digest(password, key_secret):
                return account
            return None

        def _account_resource(self, account: TwilioAccount) -> dict[str, Any]:
            now = rfc2822(datetime.now(UTC))
            return {
                "sid": account.sid,
                "owner_account_sid": account.sid,
                "friendly_name": account.friendly_name,
                "status": account.status,
                "type": "Full",
                "date_created": now,
                "date_updated": now,
                "auth_token": account.auth_token,  # Twilio shows it to the account itself
                "uri": f"/{API_VERSION}/Accounts/{account.sid}.json",
                "subresource_uris": {},
            }

        def _create_message(
            self, account: TwilioAccount, form: dict[str, str]
        ) -> tuple[int, dict[str, Any]]:
            to = form.get("To", "")
            body = form.get("Body", "")
            sender = form.get("From", "")
            service = form.get("MessagingServiceSid", "")
            if not to:
                return 400, twilio_error(400, 21604, "A 'To' phone number is required.")
            if not sender and not service:
                return 400, twilio_error(
                    400, 21603, "A 'From' phone number or MessagingServiceSid is required."
                )
            if not body:
                return 400, twilio_error(400, 21602, "Message body is required.")
            if len(body) > MAX_BODY:
                return 400, twilio_error(400, 21617, "The concatenated message body exceeds 1600")
            try:
                valid = phonenumbers.is_valid_number(phonenumbers.parse(to, None))
            except phonenumbers.NumberParseException:
                valid = False
            if not valid:
                return 400, twilio_error(
                    400, 21211, f"The 'To' number {to} is not a valid phone number."
                )
            refusal = double.refusals.get(to)
            if refusal is not None:
                return 400, twilio_error(400, refusal, f"The 'To' number {to} was refused.")
            now = datetime.now(UTC)
            sid = new_sid("SM")
            message: dict[str, Any] = {
                "account_sid": account.sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": rfc2822(now),
                "date_sent": None,
                "date_updated": rfc2822(now),
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": sender or POOL_NUMBER,
                "messaging_service_sid": service or None,
                "num_media": "0",
                "num_segments": str(1 if len(body) <= 160 else -(-len(body) // 153)),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "accepted" if service else "queued",
                "subresource_uris": {},
                "to": to,
                "uri": f"/{API_VERSION}/Accounts/{account.sid}/Messages/{sid}.json",
                "_created": now.timestamp(),  # the double's own ordering key
            }
            with double.lock:
                double.messages[sid] = message
                if form.get("StatusCallback"):
                    double.status_callbacks[sid] = form["StatusCallback"]
            return 201, message

        def _list_messages(self, account: TwilioAccount, query: dict[str, str]) -> dict[str, Any]:
            with double.lock:
                found = [m for m in double.messages.values() if m["account_sid"] == account.sid]
            if "To" in query:
                found = [m for m in found if m["to"] == query["To"]]
            if "From" in query:
                found = [m for m in found if m["from"] == query["From"]]
            for key, keep in (
                ("DateSent", lambda day, wanted: day == wanted),
                ("DateSent<", lambda day, wanted: day <= wanted),
                ("DateSent>", lambda day, wanted: day >= wanted),
            ):
                if key in query:
                    wanted = query[key][:10]
                    found = [m for m in found if m["date_sent"] and keep(_day(m), wanted)]
            found.sort(key=lambda m: m["_created"], reverse=True)  # newest first, as Twilio
            size = int(query.get("PageSize") or 50)
            page = int(query.get("Page") or 0)
            chunk = found[page * size : (page + 1) * size]
            base = f"/{API_VERSION}/Accounts/{account.sid}/Messages.json"
            filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize")}

            def uri(number: int) -> str:
                return f"{base}?{urlencode({**filters, 'PageSize': size, 'Page': number})}"

            more = (page + 1) * size < len(found)
            return {
                "messages": chunk,
                "end": page * size + len(chunk) - 1,
                "first_page_uri": uri(0),
                "next_page_uri": uri(page + 1) if more else None,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": page * size,
                "uri": uri(page),
            }

        def _answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            if isinstance(payload, dict):
                payload = {k: v for k, v in payload.items() if not k.startswith("_")}
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    double.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _day(message: dict[str, Any]) -> str:
    """The YYYY-MM-DD of a message's date_sent (RFC 2822 in the resource)."""
    return parsedate_to_datetime(message["date_sent"]).astimezone(UTC).strftime("%Y-%m-%d")
