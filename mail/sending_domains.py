"""Postmark's Domains API (the account API, through postmarker's domains manager): register
a workspace's own sending domain, read the DKIM and Return-Path DNS records it needs, and ask
Postmark to check them. Pointed by setting at POSTMARK_API_URL, so tests reach the loopback
double; the account token is POSTMARK_ACCOUNT_TOKEN.

Failures come back as two exceptions: `DomainRefused` (Postmark answered no: a malformed or
public domain, one already registered, a bad token) and `DomainApiUnavailable` (429, 5xx, a
timeout or a dropped connection: nothing is known to have changed; try again).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import structlog
from django.conf import settings
from postmarker.core import PostmarkClient
from postmarker.exceptions import ClientError

log = structlog.get_logger(__name__)

RETURN_PATH_LABEL = "pm-bounces"  # Postmark's own suggestion for the bounce subdomain
RETURN_PATH_TARGET = "pm.mtasv.net"  # where the Return-Path CNAME points, for every account
NOT_FOUND = 510  # Postmark: "This domain was not found"


class DomainApiError(Exception):
    """A Domains API call that did not do what was asked."""


class DomainRefused(DomainApiError):
    def __init__(self, message: str, *, error_code: int = 0):
        super().__init__(message)
        self.error_code = error_code


class DomainApiUnavailable(DomainApiError):
    """Postmark did not answer, or answered 429/5xx."""


@dataclass(frozen=True)
class DomainRecords:
    """A domain as Postmark describes it: its id, the DNS records to add, what it verified.

    Until DKIM is verified Postmark names the key to publish as the *pending* one; after, as
    the current one. Either way it is the record to add."""

    postmark_id: int
    name: str
    dkim_host: str
    dkim_value: str
    dkim_verified: bool
    return_path_host: str
    return_path_value: str
    return_path_verified: bool

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> DomainRecords:
        return cls(
            postmark_id=int(answer["ID"]),
            name=str(answer.get("Name") or ""),
            dkim_host=str(answer.get("DKIMHost") or answer.get("DKIMPendingHost") or ""),
            dkim_value=str(answer.get("DKIMTextValue") or answer.get("DKIMPendingTextValue") or ""),
            dkim_verified=bool(answer.get("DKIMVerified")),
            return_path_host=str(answer.get("ReturnPathDomain") or ""),
            return_path_value=str(answer.get("ReturnPathDomainCNAMEValue") or RETURN_PATH_TARGET),
            return_path_verified=bool(answer.get("ReturnPathDomainVerified")),
        )


def configured() -> bool:
    """Whether this installation can register domains at all (it has an account token)."""
    return bool(settings.POSTMARK_ACCOUNT_TOKEN)


def _client() -> PostmarkClient:
    return PostmarkClient(
        # postmarker insists on a server token even for account calls; none is sent with them.
        server_token=settings.POSTMARK_SERVER_TOKEN or "unused",
        account_token=settings.POSTMARK_ACCOUNT_TOKEN,
        root_api_url=settings.POSTMARK_API_URL,
        timeout=settings.POSTMARK_TIMEOUT_SECONDS,
    )


@contextmanager
def _answers() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        response = getattr(error.__cause__, "response", None)
        status = getattr(response, "status_code", 0)
        if status == 429 or status >= 500:
            raise DomainApiUnavailable(f"Postmark answered {status}: {error}") from error
        message = str(error).split("] ", 1)[-1]  # postmarker writes "[code] message"
        raise DomainRefused(message, error_code=error.error_code) from error
    except requests.HTTPError as error:  # an answer without a JSON body
        status = getattr(error.response, "status_code", 0)
        if status == 429 or status >= 500:
            raise DomainApiUnavailable(f"Postmark answered {status}") from error
        raise DomainRefused(f"Postmark refused the call ({status})") from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise DomainApiUnavailable(f"Postmark did not answer: {error}") from error


def create_domain(name: str) -> DomainRecords:
    """Register `name` with Postmark, its Return-Path at pm-bounces.<name>."""
    with _answers():
        domain = _client().domains.create(Name=name, ReturnPathDomain=f"{RETURN_PATH_LABEL}.{name}")
    log.info("sending_domain_created", postmark_id=domain.ID, domain=name)
    return DomainRecords.from_answer(domain.as_dict())


def get_domain(postmark_id: int) -> DomainRecords:
    with _answers():
        return DomainRecords.from_answer(_client().domains.get(postmark_id).as_dict())


def verify_domain(postmark_id: int) -> DomainRecords:
    """Ask Postmark to look up the DKIM and the Return-Path records now; what it found."""
    with _answers():
        client = _client()
        client.domains.verifydkim(postmark_id)
        client.domains.verifyreturnpath(postmark_id)
        domain = DomainRecords.from_answer(client.domains.get(postmark_id).as_dict())
    log.info(
        "sending_domain_checked",
        postmark_id=postmark_id,
        dkim_verified=domain.dkim_verified,
        return_path_verified=domain.return_path_verified,
    )
    return domain


def delete_domain(postmark_id: int) -> None:
    """Remove the domain at Postmark; one Postmark no longer knows is gone already."""
    try:
        with _answers():
            _client().domains.delete(postmark_id)
    except DomainRefused as error:
        if error.error_code != NOT_FOUND:
            raise
    log.info("sending_domain_deleted", postmark_id=postmark_id)
