"""Is this request Twilio's, for this workspace? Twilio signs every callback with the
account's auth token over the exact URL it called plus the POSTed parameters
(X-Twilio-Signature); twilio's own RequestValidator checks it.

The URL is rebuilt two ways, and either may match: the workspace's public URL (Workspace.url:
CRM_PUBLIC_SCHEME, the primary host and CRM_PUBLIC_PORT, which is what sms.callback_urls gave
Twilio) with the path and query as received, and the URL as this request saw it (its Host,
and the scheme behind the TLS proxy through SECURE_PROXY_SSL_HEADER), for a workspace reached
on another of its domains. Both name this workspace's host, and the token is this
workspace's, so a request signed for another workspace fails either way."""

from __future__ import annotations

import structlog
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from sms.selectors.account import callback_token, sms_account
from tenants.schemas import current_workspace

log = structlog.get_logger(__name__)


def called_urls(request: HttpRequest) -> list[str]:
    """The URLs Twilio may have signed for this request, the public one first."""
    public = f"{current_workspace().url}{request.get_full_path()}"
    seen = request.build_absolute_uri()
    return [public] if seen == public else [public, seen]


def twilio_request_verified(request: HttpRequest) -> bool:
    """True when the request carries a valid signature made with this workspace's auth
    token. False without a signature, with a wrong one, or when the workspace has no Twilio
    account or only an API key (callbacks cannot be checked without the auth token)."""
    signature = request.headers.get("X-Twilio-Signature", "")
    account = sms_account()
    token = callback_token(account) if account is not None else ""
    if not signature or not token:
        log.warning(
            "twilio_callback_unverifiable",
            path=request.path,
            signed=bool(signature),
            has_token=bool(token),
        )
        return False
    validator = RequestValidator(token)
    if any(validator.validate(url, request.POST, signature) for url in called_urls(request)):
        return True
    log.warning("twilio_callback_bad_signature", path=request.path)
    return False
