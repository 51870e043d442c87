"""A Stripe double on the loopback address, speaking the part of Stripe's API we use.

The official `stripe` client talks to it (STRIPE_API_BASE). It keeps every object it made,
per account (the `Stripe-Account` header; "" for the platform), honours `Idempotency-Key`
(same key on the same account: the first answer again, nothing made twice) and misbehaves
on demand (`fail_next`: 429, 5xx, "slow" past the client's timeout, or "drop": do the work,
then close the connection without answering).

Resources: customers, checkout sessions, billing portal sessions, subscriptions, prices,
products, accounts, account links, payment links, payment intents, charges, refunds,
invoices. Hosted pages: a Checkout session's `url` and a payment link's `url` are simple
forms here (GET shows it, POST pays), and paying delivers the signed webhook events that
Stripe would send, to `webhook_url` when set (else they wait in `undelivered`).

Tests build events with `event(type, object, account=...)` and sign them with
`signature_header(payload, secret)` exactly as Stripe does (t=..., v1=HMAC-SHA256).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

PLATFORM_SECRET = "whsec_platform_test"
CONNECT_SECRET = "whsec_connect_test"
SECRET_KEY = "sk_test_double"

PREFIXES = {
    "customers": "cus",
    "checkout/sessions": "cs",
    "billing_portal/sessions": "bps",
    "subscriptions": "sub",
    "prices": "price",
    "products": "prod",
    "accounts": "acct",
    "account_links": "acctlink",
    "payment_links": "plink",
    "payment_intents": "pi",
    "charges": "ch",
    "refunds": "re",
    "invoices": "in",
    "disputes": "dp",
}
OBJECT_NAMES = {
    "customers": "customer",
    "checkout/sessions": "checkout.session",
    "billing_portal/sessions": "billing_portal.session",
    "subscriptions": "subscription",
    "prices": "price",
    "products": "product",
    "accounts": "account",
    "account_links": "account_link",
    "payment_links": "payment_link",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "refunds": "refund",
    "invoices": "invoice",
    "disputes": "dispute",
}
_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_counter):06d}{int(time.time() * 1000) % 100000:05d}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=x`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append({})
                if last:
                    node[position] = value
                else:
                    if not isinstance(node[position], (dict, list)) or node[position] == {}:
                        node[position] = [] if parts[index + 1].isdigit() else {}
                    node = node[position]
            elif last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if parts[index + 1].isdigit() else {})
    return root


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send for this payload."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass
class StripeDouble:
    url: str = ""
    objects: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    idempotent_answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(
        default_factory=dict
    )
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[Any] = field(default_factory=list)
    slow_seconds: float = 3.0
    webhook_url: str = ""
    webhook_host: str = ""
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- what tests read ------------------------------------------------------------------
    def all(self, kind: str, account: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return list(self.objects.get((account, kind), {}).values())

    def get(self, kind: str, object_id: str, account: str = "") -> dict[str, Any]:
        with self.lock:
            return self.objects[(account, kind)][object_id]

    def calls(self, method: str, path_prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                r
                for r in self.requests
                if r["method"] == method and r["path"].startswith(path_prefix)
            ]

    # --- making objects (the API and tests both use these) --------------------------------
    def put(self, kind: str, body: dict[str, Any], account: str = "") -> dict[str, Any]:
        with self.lock:
            obj = {
                "id": body.pop("id", None) or new_id(PREFIXES[kind]),
                "object": OBJECT_NAMES[kind],
                "created": int(time.time()),
                "livemode": False,
                "metadata": {},
                **body,
            }
            self.objects.setdefault((account, kind), {})[obj["id"]] = obj
            return obj

    def update(
        self, kind: str, object_id: str, changes: dict[str, Any], account: str = ""
    ) -> dict[str, Any]:
        with self.lock:
            obj = self.objects[(account, kind)][object_id]
            for key, value in changes.items():
                if key == "metadata" and isinstance(value, dict):
                    obj["metadata"] = {**obj.get("metadata", {}), **value}
                else:
                    obj[key] = value
            return obj

    def event(
        self, event_type: str, obj: dict[str, Any], *, account: str = "", event_id: str = ""
    ) -> dict[str, Any]:
        """An event as Stripe builds it: a snapshot of `obj` at this moment."""
        body: dict[str, Any] = {
            "id": event_id or new_id("evt"),
            "object": "event",
            "api_version": "2025-09-30.clover",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if account:
            body["account"] = account
        return body

    def deliver(self, event: dict[str, Any]) -> int | None:
        """POST the event, signed with its endpoint's secret, to `webhook_url`; without
        one, keep it in `undelivered` for the test to send."""
        if not self.webhook_url:
            self.undelivered.append(event)
            return None
        payload = json.dumps(event)
        secret = CONNECT_SECRET if event.get("account") else PLATFORM_SECRET
        request = urllib.request.Request(
            self.webhook_url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": signature_header(payload, secret),
                **({"Host": self.webhook_host} if self.webhook_host else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = int(response.status)
        except urllib.error.HTTPError as error:
            status = error.code
        self.delivered.append((event, status))
        return status

    # --- what Stripe does on its side -----------------------------------------------------
    def subscription_for(
        self, *, customer: str, price_id: str, status: str = "active", account: str = ""
    ) -> dict[str, Any]:
        price = (
            self.get("prices", price_id, account)
            if price_id in self._ids("prices", account)
            else {"id": price_id, "object": "price", "recurring": {"interval": "month"}}
        )
        now = int(time.time())
        period_end = (
            now + (365 if price.get("recurring", {}).get("interval") == "year" else 30) * 86400
        )
        return self.put(
            "subscriptions",
            {
                "customer": customer,
                "status": status,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "ended_at": None,
                "trial_end": None,
                "current_period_start": now,
                "current_period_end": period_end,
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": new_id("si"),
                            "object": "subscription_item",
                            "price": price,
                            "quantity": 1,
                            "current_period_start": now,
                            "current_period_end": period_end,
                        }
                    ],
                },
                "latest_invoice": None,
            },
            account,
        )

    def set_subscription(
        self, subscription_id: str, account: str = "", **changes: Any
    ) -> dict[str, Any]:
        """Change a subscription on Stripe's side (a renewal failing, a cancellation)."""
        return self.update("subscriptions", subscription_id, changes, account)

    def complete_checkout(
        self, session_id: str, *, email: str = "", account: str = ""
    ) -> list[dict[str, Any]]:
        """The customer pays a Checkout session: the session completes and the objects it
        makes appear (a subscription and its first invoice, or a payment intent and its
        charge). Returns the events Stripe sends, in a plausible order, and delivers them."""
        with self.lock:
            session = self.get("checkout/sessions", session_id, account)
            events: list[dict[str, Any]] = []
            customer = session.get("customer")
            email = email or session.get("customer_email") or "buyer@example.com"
            if not customer:
                customer = self.put("customers", {"email": email}, account)["id"]
            line = (session.get("line_items") or [{}])[0]
            price_id = line.get("price", "")
            price = self._price(price_id, account)
            amount = int(price.get("unit_amount") or session.get("amount_total") or 0)
            currency = price.get("currency") or session.get("currency") or "usd"
            changes: dict[str, Any] = {
                "status": "complete",
                "payment_status": "paid",
                "customer": customer,
                "customer_details": {"email": email, "name": ""},
                "amount_total": amount,
                "amount_subtotal": amount,
                "currency": currency,
            }
            if session.get("mode") == "subscription":
                subscription = self.subscription_for(
                    customer=customer, price_id=price_id, account=account
                )
                subscription["metadata"] = dict(
                    session.get("subscription_data", {}).get("metadata", {})
                    or session.get("metadata", {})
                )
                invoice = self.put(
                    "invoices",
                    {
                        "customer": customer,
                        "subscription": subscription["id"],
                        "parent": {
                            "type": "subscription_details",
                            "subscription_details": {"subscription": subscription["id"]},
                        },
                        "status": "paid",
                        "amount_due": amount,
                        "amount_paid": amount,
                        "currency": currency,
                        "number": f"INV-{next(_counter):04d}",
                        "hosted_invoice_url": f"{self.url}/invoice/{new_id('inv')}",
                        "period_end": subscription["current_period_end"],
                    },
                    account,
                )
                subscription["latest_invoice"] = invoice["id"]
                changes["subscription"] = subscription["id"]
                changes["invoice"] = invoice["id"]
            else:
                intent = self.put(
                    "payment_intents",
                    {
                        "amount": amount,
                        "amount_received": amount,
                        "currency": currency,
                        "status": "succeeded",
                        "customer": customer,
                        # Checkout copies payment_intent_data.metadata onto the intent.
                        "metadata": dict(
                            (session.get("payment_intent_data") or {}).get("metadata") or {}
                        ),
                    },
                    account,
                )
                charge = self.put(
                    "charges",
                    {
                        "amount": amount,
                        "amount_refunded": 0,
                        "refunded": False,
                        "currency": currency,
                        "payment_intent": intent["id"],
                        "customer": customer,
                        "billing_details": {"email": email},
                        "status": "succeeded",
                        "paid": True,
                    },
                    account,
                )
                intent["latest_charge"] = charge["id"]
                changes["payment_intent"] = intent["id"]
            session = self.update("checkout/sessions", session_id, changes, account)
            if session.get("mode") == "subscription":
                sub = self.get("subscriptions", session["subscription"], account)
                events.append(self.event("customer.subscription.created", sub, account=account))
                invoice = self.get("invoices", session["invoice"], account)
                events.append(self.event("invoice.paid", invoice, account=account))
            events.append(self.event("checkout.session.completed", session, account=account))
        for item in events:
            self.deliver(item)
        return events

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The workspace finishes Connect onboarding: its account can take charges."""
        account = self.update(
            "accounts",
            account_id,
            {"charges_enabled": True, "payouts_enabled": True, "details_submitted": True},
        )
        self.deliver(self.event("account.updated", account, account=account_id))
        return account

    def _ids(self, kind: str, account: str) -> set[str]:
        return set(self.objects.get((account, kind), {}))

    def _price(self, price_id: str, account: str) -> dict[str, Any]:
        for owner in (account, ""):
            if price_id in self._ids("prices", owner):
                return self.get("prices", price_id, owner)
        return {"id": price_id}

    # --- the API --------------------------------------------------------------------------
    def answer(
        self, method: str, path: str, params: dict[str, Any], account: str
    ) -> tuple[int, dict[str, Any]]:
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:1] != ["v1"]:
            return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")
        parts = parts[1:]
        kind, object_id, action = _route(parts)
        if kind not in PREFIXES:
            return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")
        with self.lock:
            if method == "POST" and object_id is None:
                return 200, self._create(kind, params, account)
            if object_id is not None and object_id not in self._ids(kind, account):
                return 404, _error(
                    "invalid_request_error",
                    f"No such {OBJECT_NAMES[kind]}: '{object_id}'",
                    code="resource_missing",
                )
            if method == "GET" and object_id is None:
                return 200, self._list(kind, params, account)
            assert object_id is not None
            if method == "GET":
                return 200, self.get(kind, object_id, account)
            if method == "POST" and action is None:
                return 200, self.update(kind, object_id, params, account)
            if method == "DELETE" and kind == "subscriptions":
                return 200, self.update(
                    kind,
                    object_id,
                    {
                        "status": "canceled",
                        "canceled_at": int(time.time()),
                        "ended_at": int(time.time()),
                    },
                    account,
                )
        return 404, _error("invalid_request_error", f"Unsupported: {method} {path}")

    def _create(self, kind: str, params: dict[str, Any], account: str) -> dict[str, Any]:
        if kind == "checkout/sessions":
            body = {
                **params,
                "status": "open",
                "payment_status": "unpaid",
                "subscription": None,
                "payment_intent": None,
            }
            body.setdefault("customer", None)
            session = self.put(kind, body, account)
            session["url"] = f"{self.url}/pay/{account or 'platform'}/{session['id']}"
            return session
        if kind == "billing_portal/sessions":
            session = self.put(kind, params, account)
            session["url"] = f"{self.url}/portal/{session['id']}"
            return session
        if kind == "account_links":
            link = self.put(kind, params, account)
            link["url"] = f"{self.url}/onboard/{params.get('account', '')}"
            link["expires_at"] = int(time.time()) + 300
            return link
        if kind == "accounts":
            return self.put(
                kind,
                {
                    **params,
                    "charges_enabled": False,
                    "payouts_enabled": False,
                    "details_submitted": False,
                },
                account,
            )
        if kind == "prices":
            body = dict(params)
            if "unit_amount" in body:
                body["unit_amount"] = int(body["unit_amount"])
            body["currency"] = str(body.get("currency", "usd")).lower()
            if "product_data" in body:
                body["product"] = self.put("products", body.pop("product_data"), account)["id"]
            return self.put(kind, body, account)
        if kind == "payment_links":
            link = self.put(kind, {**params, "active": True}, account)
            link["url"] = f"{self.url}/link/{account or 'platform'}/{link['id']}"
            return link
        if kind == "refunds":
            return self._refund(params, account)
        if kind == "subscriptions":
            line = (params.get("items") or [{}])[0]
            return self.subscription_for(
                customer=params.get("customer", ""), price_id=line.get("price", ""), account=account
            )
        return self.put(kind, params, account)

    def _refund(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        charge_id = params.get("charge")
        if not charge_id and params.get("payment_intent"):
            intent = self.get("payment_intents", params["payment_intent"], account)
            charge_id = intent.get("latest_charge")
        charge = self.get("charges", str(charge_id), account)
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        refund = self.put(
            "refunds",
            {
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge.get("payment_intent"),
                "currency": charge["currency"],
                "status": "succeeded",
            },
            account,
        )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return refund

    def _list(self, kind: str, params: dict[str, Any], account: str) -> dict[str, Any]:
        items = self.all(kind, account)
        for key in ("customer", "subscription", "status"):
            if key in params:
                items = [item for item in items if item.get(key) == params[key]]
        items.sort(key=lambda item: item["created"], reverse=True)
        limit = int(params.get("limit", 10))
        return {
            "object": "list",
            "data": items[:limit],
            "has_more": len(items) > limit,
            "url": f"/v1/{kind}",
        }


def _route(parts: list[str]) -> tuple[str, str | None, str | None]:
    for size in (2, 1):
        kind = "/".join(parts[:size])
        if kind in PREFIXES:
            rest = parts[size:]
            return kind, (rest[0] if rest else None), (rest[1] if len(rest) > 1 else None)
    return "", None, None


def _error(kind: str, message: str, code: str = "") -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **({"code": code} if code else {})}}


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:28rem;margin:3rem auto">
<p style="color:#635bff;font-weight:bold">Stripe test double</p><h1>{title}</h1><p>{detail}</p>
<form method="post">{fields}<button type="submit">{button}</button></form></body></html>"""


@contextmanager
def stripe_double(port: int = 0) -> Iterator[StripeDouble]:
    state = StripeDouble()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            path = self.path
            if not path.startswith("/v1/"):
                self._hosted(method, path, raw)
                return
            query = urlparse(path).query
            params = parse_form(raw if method == "POST" else query)
            account = self.headers.get("Stripe-Account", "") or ""
            key = self.headers.get("Idempotency-Key", "") or ""
            with state.lock:
                state.requests.append(
                    {
                        "method": method,
                        "path": path.split("?")[0],
                        "params": params,
                        "account": account,
                        "idempotency_key": key,
                        "authorization": self.headers.get("Authorization", ""),
                    }
                )
                failure = state.fail_next.pop(0) if state.fail_next else None
            if not self.headers.get("Authorization", "").startswith("Bearer sk_"):
                self._answer(401, _error("invalid_request_error", "Invalid API Key provided."))
                return
            if isinstance(failure, int):
                self._answer(failure, _error("api_error", "Simulated failure."))
                return
            if failure == "slow":
                time.sleep(state.slow_seconds)
            with state.lock:
                remembered = (
                    state.idempotent_answers.get((account, key))
                    if key and method == "POST"
                    else None
                )
                if remembered is None:
                    remembered = state.answer(method, path, params, account)
                    if key and method == "POST":
                        state.idempotent_answers[(account, key)] = remembered
            if failure == "drop":
                self.close_connection = True
                self.connection.close()
                return
            status, body = remembered
            headers = {"Idempotency-Key": key} if key else {}
            self._answer(status, body, headers)

        def _hosted(self, method: str, path: str, raw: str) -> None:
            parts = path.split("?")[0].strip("/").split("/")
            if len(parts) == 3 and parts[0] in {"pay", "link"}:
                account = "" if parts[1] == "platform" else parts[1]
                kind = "checkout/sessions" if parts[0] == "pay" else "payment_links"
                if parts[2] not in state._ids(kind, account):
                    self._page(404, "Not found", "No such page.", "", "Back")
                    return
                if method == "GET":
                    fields = (
                        '<label>Email <input name="email" type="email" required></label> '
                        if parts[0] == "link"
                        else ""
                    )
                    self._page(200, "Pay", html.escape(parts[2]), fields, "Pay")
                    return
                email = dict(parse_qsl(raw)).get("email", "")
                session_id = parts[2]
                if parts[0] == "link":
                    link = state.get("payment_links", parts[2], account)
                    session = state.put(
                        "checkout/sessions",
                        {
                            "mode": "payment",
                            "payment_link": link["id"],
                            "line_items": link.get("line_items", []),
                            "metadata": dict(link.get("metadata", {})),
                            "customer_email": email,
                            "status": "open",
                            "payment_status": "unpaid",
                            "customer": None,
                            "success_url": (link.get("after_completion") or {})
                            .get("redirect", {})
                            .get("url", ""),
                        },
                        account,
                    )
                    session_id = session["id"]
                state.complete_checkout(session_id, email=email, account=account)
                session = state.get("checkout/sessions", session_id, account)
                target = str(session.get("success_url") or "").replace(
                    "{CHECKOUT_SESSION_ID}", session_id
                )
                if target:
                    self.send_response(303)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._page(200, "Paid", "Thank you.", "", "Done")
                return
            if len(parts) == 2 and parts[0] == "portal":
                # The customer portal: a page whose button goes back to the return_url.
                if parts[1] not in state._ids("billing_portal/sessions", ""):
                    self._page(404, "Not found", "No such page.", "", "Back")
                    return
                portal = state.get("billing_portal/sessions", parts[1])
                if method == "GET":
                    detail = html.escape(f"Billing portal for {portal.get('customer', '')}")
                    self._page(200, "Manage billing", detail, "", "Return")
                    return
                self.send_response(303)
                self.send_header("Location", str(portal.get("return_url") or "/"))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if len(parts) == 2 and parts[0] == "onboard" and method == "GET":
                self._page(200, "Set up payments", html.escape(parts[1]), "", "Finish")
                return
            if len(parts) == 2 and parts[0] == "onboard":
                state.complete_onboarding(parts[1])
                links = [
                    link for link in state.all("account_links") if link.get("account") == parts[1]
                ]
                target = links[-1].get("return_url", "") if links else ""
                self.send_response(303)
                self.send_header("Location", target or "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._page(404, "Not found", "No such page.", "", "Back")

        def _page(self, status: int, title: str, detail: str, fields: str, button: str) -> None:
            body = PAGE.format(title=title, detail=detail, fields=fields, button=button).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", new_id("req"))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
