"""GET /metrics: the Prometheus scrape, answered before tenant resolution (so it still
answers, counting the errors, when the database is down).

Served on the apex host, or on a bare IP address (a scraper reaching one node directly);
a workspace's host answers 404 as if it did not exist. Who may read it:

- CRM_METRICS_TOKEN set: only `Authorization: Bearer <token>` (401 otherwise), from anywhere.
- no token: only a request made directly from the loopback address, with no proxy's
  forwarding header (behind Caddy or nginx every request comes from the loopback address,
  so a forwarded one is someone outside): 404 otherwise.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from project.errors import error_response
from project.metrics import scrape_response

log = structlog.get_logger(__name__)
METRICS_PATH = "/metrics"
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def host_name(raw_host: str) -> str:
    """The Host header without its port, lower case, without a trailing dot."""
    host = raw_host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") <= 1 else host


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def serves_metrics(raw_host: str) -> bool:
    host = host_name(raw_host)
    return host == settings.CRM_BASE_DOMAIN or is_ip_address(host)


def direct_from_loopback(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback and not any(request.META.get(h) for h in FORWARDING_HEADERS)


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def not_found() -> HttpResponse:
    return error_response("not_found", "Not found.", status=404)


class MetricsEndpointMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path != METRICS_PATH:
            return self.get_response(request)
        if not serves_metrics(request.META.get("HTTP_HOST", "")):
            return not_found()
        token = str(settings.CRM_METRICS_TOKEN)
        if token:
            offered = bearer_token(request)
            if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
                log.info("metrics_refused", reason="bad_token" if offered else "no_token")
                response = error_response(
                    "not_authenticated",
                    "Send Authorization: Bearer <CRM_METRICS_TOKEN> to read the metrics.",
                    status=401,
                )
                response["WWW-Authenticate"] = 'Bearer realm="metrics"'
                return response
        elif not direct_from_loopback(request):
            log.info("metrics_refused", reason="not_loopback")
            return not_found()
        if request.method not in ("GET", "HEAD"):
            response = error_response(
                "method_not_allowed", f"{request.method} is not allowed here; use GET.", status=405
            )
            response["Allow"] = "GET, HEAD"
            return response
        return scrape_response(request)
