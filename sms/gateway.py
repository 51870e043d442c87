"""The SMS gateway: Twilio through the official `twilio` client, pointed at TWILIO_API_BASE.

Three calls, in the style of mail.gateway: check a workspace's credentials (fetch the
account), send one message, and find a message already accepted (how a sender that lost
Twilio's answer learns whether it went before sending again). This layer knows no workspace:
the caller passes the credentials (sms.selectors.account.credentials()).

Finding a lost send. Twilio keeps no metadata on a message, so our id cannot be searched
for. Two things carry it instead: our id goes in the StatusCallback URL's query
(`?message=<id>`), so every status callback names our message without a lookup; and a send
whose answer was lost is found by listing the messages To that number (Twilio lists newest
first), created since just before the attempt began, with the same sender and body.
Twilio's `DateSent` filter is not used for it: a message still queued has no date_sent.

Failures map onto mail.gateway's errors, which the delivery engine already knows:
429, 5xx, timeouts and dropped connections are TransientSendError (with Retry-After when
Twilio says, `accepted_nothing` when it certainly took nothing); refusals are SmsRefused, a
PermanentSendError carrying Twilio's error code (21211 invalid number, 21614 not a mobile,
21610 the recipient replied STOP, ...).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
import structlog
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from mail.gateway import PermanentSendError, SendError, TransientSendError

log = structlog.get_logger(__name__)

# Twilio error codes that say the number itself cannot take texts: keep it out of audiences.
UNDELIVERABLE_CODES = frozenset(
    {
        21211,  # invalid 'To' phone number
        21214,  # 'To' number cannot be reached
        21612,  # 'To' number cannot be reached by this sender (no route)
        21614,  # 'To' number is not a valid mobile number (a landline)
        30003,  # unreachable destination handset
        30005,  # unknown destination handset
        30006,  # landline or unreachable carrier
    }
)
OPTED_OUT_CODES = frozenset({21610})  # the recipient replied STOP to this sender
CREDENTIAL_CODES = frozenset({20003})  # Twilio: "Authenticate"
LOOKBACK_SKEW = timedelta(minutes=2)  # clock skew allowed between us and Twilio
FIND_PAGE_SIZE = 50
CLIENT_CACHE_SIZE = 32


@dataclass(frozen=True)
class TwilioCredentials:
    """What a call authenticates with: the account SID, and either its auth token or an API
    key SID and secret (Twilio's basic auth takes either as username and password)."""

    account_sid: str
    username: str
    password: str

    def __repr__(self) -> str:  # never a secret in a log line or a traceback
        return f"TwilioCredentials(account_sid={self.account_sid!r}, username={self.username!r})"


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    from_number: str = ""  # the sender: a number in E.164 ...
    messaging_service_sid: str = ""  # ... or a messaging service (Twilio picks the number)
    status_callback: str = ""  # carries our id: ...?message=<id>


@dataclass(frozen=True)
class SentSms:
    sid: str
    status: str
    to: str
    from_number: str
    body: str
    segments: int
    created_at: datetime | None


@dataclass(frozen=True)
class TwilioAccountInfo:
    sid: str
    friendly_name: str
    status: str


class SmsRefused(PermanentSendError):
    """Twilio refused the message or the call (4xx): do not retry. `code` is Twilio's error
    code (0 when it gave none), `status` the HTTP status."""

    def __init__(self, message: str, *, code: int, status: int):
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def recipient_undeliverable(self) -> bool:
        """The number can never take a text (invalid, a landline, unreachable)."""
        return self.code in UNDELIVERABLE_CODES

    @property
    def recipient_opted_out(self) -> bool:
        return self.code in OPTED_OUT_CODES

    @property
    def bad_credentials(self) -> bool:
        return self.status == 401 or self.code in CREDENTIAL_CODES


class RecordingHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, remembering the last answer per thread: the client's
    exception carries no headers, and a 429's Retry-After is read from here."""

    def __init__(self, *, timeout: float):
        super().__init__(timeout=timeout, pool_connections=True)
        self._answers = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Response:
        self._answers.last = None
        answer = super().request(*args, **kwargs)
        self._answers.last = answer
        return answer

    @property
    def last_answer(self) -> Response | None:
        return getattr(self._answers, "last", None)


_clients: OrderedDict[tuple[str, ...], Client] = OrderedDict()
_clients_lock = threading.Lock()


def twilio_client(credentials: TwilioCredentials) -> Client:
    """The official client for these credentials, its calls sent to TWILIO_API_BASE.

    twilio-python 9 has no base-URL option: each API domain (client.api) holds `base_url`,
    and every call is made as `{domain.base_url}/{version}/{path}`; edge and region only
    rewrite *.twilio.com host names, so they are pinned off here (not read from
    TWILIO_EDGE/TWILIO_REGION) and the domain's base_url is set. Clients (and with them
    their HTTP connections) are kept per credentials and base, a few dozen at most."""
    key = (
        credentials.account_sid,
        credentials.username,
        credentials.password,
        settings.TWILIO_API_BASE,
        str(settings.TWILIO_TIMEOUT_SECONDS),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        client = Client(
            username=credentials.username,
            password=credentials.password,
            account_sid=credentials.account_sid,
            http_client=RecordingHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS),
        )
        client.edge = client.region = None  # not TWILIO_EDGE / TWILIO_REGION from the env
        client.api.base_url = settings.TWILIO_API_BASE
        _clients[key] = client
        while len(_clients) > CLIENT_CACHE_SIZE:
            _clients.popitem(last=False)
        return client


def check_credentials(credentials: TwilioCredentials) -> TwilioAccountInfo:
    """Fetch the account with these credentials: SmsRefused (bad_credentials) when Twilio
    does not take them, TransientSendError when it does not answer."""
    client = twilio_client(credentials)
    with twilio_errors(client, "fetch the account", accepted_nothing=True):
        account = client.api.v2010.accounts(credentials.account_sid).fetch()
    return TwilioAccountInfo(
        sid=str(account.sid), friendly_name=str(account.friendly_name or ""), status=account.status
    )


def send_sms(credentials: TwilioCredentials, sms: Sms) -> SentSms:
    """Send one text now; Twilio's message as it answered (status queued or accepted)."""
    if bool(sms.from_number) == bool(sms.messaging_service_sid):
        raise ValueError("an SMS has exactly one sender: from_number or messaging_service_sid")
    fields: dict[str, Any] = {"to": sms.to, "body": sms.body}
    if sms.from_number:
        fields["from_"] = sms.from_number
    else:
        fields["messaging_service_sid"] = sms.messaging_service_sid
    if sms.status_callback:
        fields["status_callback"] = sms.status_callback
    client = twilio_client(credentials)
    with twilio_errors(client, "send a message", accepted_nothing=False):
        message = client.messages.create(**fields)
    sent = _sent(message)
    log.info("sms_sent", provider_id=sent.sid, segments=sent.segments, status=sent.status)
    return sent


def fetch_sms(credentials: TwilioCredentials, sid: str) -> SentSms:
    client = twilio_client(credentials)
    with twilio_errors(client, "fetch a message", accepted_nothing=True):
        return _sent(client.messages(sid).fetch())


def find_sent_sms(
    credentials: TwilioCredentials,
    *,
    to: str,
    body: str,
    since: datetime,
    from_number: str = "",
) -> list[SentSms]:
    """Messages Twilio already accepted To this number with this body, created since
    `since` (less a little clock skew), newest first: what a send whose answer was lost
    may have left behind. `since` is when the attempt began; from_number narrows to the
    sender when it is a number (a messaging service picks its own)."""
    client = twilio_client(credentials)
    earliest = since - LOOKBACK_SKEW
    found: list[SentSms] = []
    filters: dict[str, Any] = {"to": to, "page_size": FIND_PAGE_SIZE}
    if from_number:
        filters["from_"] = from_number
    with twilio_errors(client, "list messages", accepted_nothing=True):
        for message in client.messages.stream(**filters):
            sent = _sent(message)
            if sent.created_at is not None and sent.created_at < earliest:
                break  # newest first: everything after is older still
            if sent.body == body and str(message.direction or "").startswith("outbound"):
                found.append(sent)
    return found


def _sent(message: Any) -> SentSms:
    return SentSms(
        sid=str(message.sid),
        status=str(message.status or ""),
        to=str(message.to or ""),
        from_number=str(message.from_ or ""),
        body=str(message.body or ""),
        segments=int(message.num_segments or 1),
        created_at=message.date_created,
    )


@contextmanager
def twilio_errors(client: Client, action: str, *, accepted_nothing: bool) -> Iterator[None]:
    """Twilio's failures as the gateway's: transient (retry later) or permanent (do not).

    `accepted_nothing` says whether a timeout or a dropped connection may have left the
    work done (true for reads; false for a send: look it up before sending again)."""
    try:
        yield
    except TwilioRestException as error:
        raise _classify(client, error, action) from error
    except (requests.Timeout, requests.ConnectionError) as error:
        raise TransientSendError(
            f"Twilio did not answer when asked to {action}: {type(error).__name__}",
            accepted_nothing=accepted_nothing,
        ) from error
    except TwilioException as error:  # e.g. an answer that is not JSON
        raise TransientSendError(
            f"Twilio's answer when asked to {action} could not be read: {error}",
            accepted_nothing=accepted_nothing,
        ) from error


def _classify(client: Client, error: TwilioRestException, action: str) -> SendError:
    status = int(error.status or 0)
    code = int(error.code or 0)
    reason = str(error.msg or "").strip() or "no reason given"
    if status == 429 or status >= 500:
        return TransientSendError(
            f"Twilio answered {status} when asked to {action} (error {code}): {reason}",
            retry_after=_retry_after(client),
            # A 429 or a 503 is answered before the request is taken in; a 500 may come after.
            accepted_nothing=status in (429, 503),
        )
    return SmsRefused(
        f"Twilio refused to {action} ({status}, error {code}): {reason}", code=code, status=status
    )


def _retry_after(client: Client) -> float | None:
    http = client.http_client
    answer = http.last_answer if isinstance(http, RecordingHttpClient) else None
    headers = getattr(answer, "headers", None) or {}
    value = str(headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None
