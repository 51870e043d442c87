"""Walks the workspace OpenAPI spec: every route that takes an id is tried against another
workspace's object.

For each such route an object is made in workspace A through the API, then:
1. the same request with workspace B's credentials on B's host answers 404 and shows none
   of A's values (and A itself, on its own host, is served: the request was a real one);
2. A's credentials sent to B's host answer 401 `not_authenticated`.

MAKERS builds the object behind each kind of id, ROUTES says what each route is sent; a
route of the spec that they do not know fails test_every_route_with_an_id_is_known, so no
route with an id goes unchecked. Everything runs on the real database through the test
client, with CSRF checked as the server checks it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import WorkspaceFixture
from tests.support.clients import OWNER_PASSWORD, api, link_in, outbox_of, post
from tests.support.payments import add_payment

SPEC_PATH = "/api/v1/openapi.json"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")


# --- Making A's objects ------------------------------------------------------------------


@dataclass
class Made:
    """An object of workspace A: its id, and the values of it that B must never see."""

    id: int
    values: set[str]


@dataclass
class Alpha:
    """Workspace A with its owner's API client; makes objects through A's own API."""

    fixture: WorkspaceFixture
    client: Client

    def marker(self, kind: str) -> str:
        return f"alpha-{kind}-{uuid.uuid4().hex[:10]}"

    def create(self, path: str, body: dict[str, Any]) -> Made:
        response = post(self.client, path, body)
        assert response.status_code in (200, 201), (path, response.status_code, response.content)
        created = response.json()
        return Made(created["id"], secrets_in(created) | secrets_in(body))


def secrets_in(value: object) -> set[str]:
    """The strings of an object worth looking for elsewhere (short ones like 'new' or 'USD'
    would turn up in any answer)."""
    if isinstance(value, str):
        return {value} if len(value) >= 8 else set()
    if isinstance(value, dict):
        return set().union(*(secrets_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(secrets_in(item) for item in value))
    return set()


def make_lead(alpha: Alpha) -> Made:
    marker = alpha.marker("lead")
    return alpha.create(
        "/api/v1/leads",
        {"first_name": marker, "email": f"{marker}@alpha.example", "company": f"{marker} Ltd"},
    )


def make_product(alpha: Alpha) -> Made:
    marker = alpha.marker("product")
    return alpha.create(
        "/api/v1/products", {"name": marker, "description": f"{marker} notes", "price": "49.00"}
    )


def make_stage(alpha: Alpha) -> Made:
    return alpha.create("/api/v1/pipeline-stages", {"name": alpha.marker("stage")})


def make_custom_field(alpha: Alpha) -> Made:
    marker = alpha.marker("field")
    return alpha.create(
        "/api/v1/custom-fields",
        {"key": marker.replace("-", "_"), "label": f"{marker} label", "field_type": "text"},
    )


def make_task(alpha: Alpha) -> Made:
    marker = alpha.marker("task")
    return alpha.create("/api/v1/tasks", {"title": marker, "notes": f"{marker} notes"})


def make_campaign(alpha: Alpha) -> Made:
    marker = alpha.marker("campaign")
    return alpha.create(
        "/api/v1/campaigns",
        {
            "name": marker,
            "subject": f"{marker} subject",
            "body_template": f"{marker} body for {{{{ lead.first_name }}}}",
        },
    )


def make_import(alpha: Alpha) -> Made:
    marker = alpha.marker("import")
    csv = f"first_name,email\n{marker},{marker}@alpha.example\n"
    response = alpha.client.post(
        "/api/v1/leads/import",
        {"file": SimpleUploadedFile("leads.csv", csv.encode(), content_type="text/csv")},
    )
    assert response.status_code == 200, response.content
    return Made(
        response.json()["id"], {marker, f"{marker}@alpha.example"} | secrets_in(response.json())
    )


def make_api_key(alpha: Alpha) -> Made:
    return alpha.create("/api/v1/api-keys", {"name": alpha.marker("key")})


def make_member(alpha: Alpha) -> Made:
    """Invited through the API, accepted through the invitation link, like a person would."""
    marker = alpha.marker("member")
    email = f"{marker}@alpha.example"
    invited = post(alpha.client, "/api/v1/team/invitations", {"email": email, "role": "member"})
    assert invited.status_code == 201, invited.content
    link = link_in(outbox_of(alpha.fixture.workspace)[-1], "/invite/accept/")
    accepted = alpha.fixture.client().post(
        link, {"full_name": f"{marker} Name", "password": OWNER_PASSWORD}
    )
    assert accepted.status_code == 302, accepted.content
    member = next(m for m in alpha.client.get("/api/v1/team").json() if m["email"] == email)
    return Made(member["id"], {email, f"{marker} Name"})


def make_payment(alpha: Alpha) -> Made:
    """Payments are recorded from Stripe's webhooks, never made through the API: a row in
    A's schema stands for one."""
    marker = alpha.marker("payment")
    payment = add_payment(alpha.fixture.workspace, customer_email=f"{marker}@alpha.example")
    stripe_ids = {payment.stripe_payment_intent_id, payment.stripe_checkout_session_id}
    return Made(payment.pk, {f"{marker}@alpha.example", *(i for i in stripe_ids if i)})


MAKERS: dict[str, Callable[[Alpha], Made]] = {
    "lead_id": make_lead,
    "product_id": make_product,
    "stage_id": make_stage,
    "field_id": make_custom_field,
    "task_id": make_task,
    "campaign_id": make_campaign,
    "import_id": make_import,
    "api_key_id": make_api_key,
    "member_id": make_member,
    "payment_id": make_payment,
}


# --- What each route is sent ------------------------------------------------------------


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(days=3)).isoformat()


def _send(alpha: Alpha, campaign_id: int) -> None:
    answer = alpha.client.post(f"/api/v1/campaigns/{campaign_id}/send")
    assert answer.status_code == 202, answer.content


def _pause(alpha: Alpha, campaign_id: int) -> None:
    _send(alpha, campaign_id)
    answer = alpha.client.post(f"/api/v1/campaigns/{campaign_id}/pause")
    assert answer.status_code == 200, answer.content


def _schedule(alpha: Alpha, campaign_id: int) -> None:
    answer = post(
        alpha.client, f"/api/v1/campaigns/{campaign_id}/schedule", {"scheduled_at": _soon()}
    )
    assert answer.status_code == 200, answer.content


def _deactivate(alpha: Alpha, member_id: int) -> None:
    answer = alpha.client.post(f"/api/v1/team/{member_id}/deactivate")
    assert answer.status_code == 200, answer.content


def _textable(alpha: Alpha, lead_id: int) -> None:
    """A may text its lead: a Twilio account stored (queueing a text calls no provider) and
    the lead opted in with a number."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from crm.models import Lead
    from project.encryption import encrypt
    from sms.models import SmsAccount

    with schema_context(alpha.fixture.workspace.schema_name):
        SmsAccount.objects.get_or_create(
            pk=1,
            defaults={
                "account_sid": "AC" + "0" * 32,
                "auth_token_encrypted": encrypt("isolation-token"),
                "auth_token_last4": "oken",
                "phone_number": "+14155550100",
                "verified_at": timezone.now(),
            },
        )
        Lead.objects.filter(pk=lead_id).update(
            phone="+14155552000",
            sms_consent=Lead.SmsConsent.OPTED_IN,
            sms_consent_source=Lead.SmsConsentSource.API,
            sms_consent_at=timezone.now(),
        )


@dataclass(frozen=True)
class Route:
    """A valid request for the route, and what A's object must go through first so that the
    request is one A itself would be served (a campaign must be sending to be paused)."""

    body: Callable[[], dict[str, Any]] | None = None
    prepare: Callable[[Alpha, int], None] | None = None


ROUTES: dict[tuple[str, str], Route] = {
    ("PATCH", "/api/v1/team/{member_id}"): Route(body=lambda: {"role": "admin"}),
    ("POST", "/api/v1/team/{member_id}/deactivate"): Route(),
    ("POST", "/api/v1/team/{member_id}/reactivate"): Route(prepare=_deactivate),
    ("DELETE", "/api/v1/api-keys/{api_key_id}"): Route(),
    ("GET", "/api/v1/payments/{payment_id}"): Route(),
    ("GET", "/api/v1/leads/{lead_id}"): Route(),
    ("PATCH", "/api/v1/leads/{lead_id}"): Route(body=lambda: {"status": "qualified"}),
    ("DELETE", "/api/v1/leads/{lead_id}"): Route(),
    ("GET", "/api/v1/leads/{lead_id}/timeline"): Route(),
    ("POST", "/api/v1/leads/{lead_id}/email"): Route(
        body=lambda: {"subject": "A note", "body": "Hello there"}
    ),
    ("POST", "/api/v1/leads/{lead_id}/sms"): Route(
        body=lambda: {"body": "Hello there"}, prepare=_textable
    ),
    ("GET", "/api/v1/imports/{import_id}"): Route(),
    ("GET", "/api/v1/products/{product_id}"): Route(),
    ("PATCH", "/api/v1/products/{product_id}"): Route(body=lambda: {"price": "59.00"}),
    ("DELETE", "/api/v1/products/{product_id}"): Route(),
    ("PATCH", "/api/v1/pipeline-stages/{stage_id}"): Route(body=lambda: {"win_probability": 40}),
    ("DELETE", "/api/v1/pipeline-stages/{stage_id}"): Route(),
    ("PATCH", "/api/v1/custom-fields/{field_id}"): Route(body=lambda: {"required": True}),
    ("DELETE", "/api/v1/custom-fields/{field_id}"): Route(),
    ("GET", "/api/v1/tasks/{task_id}"): Route(),
    ("PATCH", "/api/v1/tasks/{task_id}"): Route(body=lambda: {"done": True}),
    ("DELETE", "/api/v1/tasks/{task_id}"): Route(),
    ("GET", "/api/v1/campaigns/{campaign_id}"): Route(),
    ("PATCH", "/api/v1/campaigns/{campaign_id}"): Route(body=lambda: {"subject": "New subject"}),
    ("DELETE", "/api/v1/campaigns/{campaign_id}"): Route(),
    ("GET", "/api/v1/campaigns/{campaign_id}/audience"): Route(),
    ("GET", "/api/v1/campaigns/{campaign_id}/preview"): Route(),
    ("POST", "/api/v1/campaigns/{campaign_id}/test"): Route(body=lambda: {}),
    ("POST", "/api/v1/campaigns/{campaign_id}/send"): Route(),
    ("POST", "/api/v1/campaigns/{campaign_id}/duplicate"): Route(),
    ("POST", "/api/v1/campaigns/{campaign_id}/schedule"): Route(
        body=lambda: {"scheduled_at": _soon()}
    ),
    ("POST", "/api/v1/campaigns/{campaign_id}/pause"): Route(prepare=_send),
    ("POST", "/api/v1/campaigns/{campaign_id}/resume"): Route(prepare=_pause),
    ("POST", "/api/v1/campaigns/{campaign_id}/cancel"): Route(prepare=_schedule),
    ("GET", "/api/v1/campaigns/{campaign_id}/stats"): Route(),
    ("GET", "/api/v1/campaigns/{campaign_id}/messages"): Route(),
}


def spec_routes_with_an_id(client: Client) -> list[tuple[str, str]]:
    spec = client.get(SPEC_PATH).json()
    return [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if PATH_PARAMETER.search(path)
        for method in operations
    ]


def the_parameter(path: str) -> str:
    names = PATH_PARAMETER.findall(path)
    assert len(names) == 1, f"{path}: teach this walk routes with {len(names)} ids"
    return names[0]


def send(client: Client, method: str, path: str, route: Route):
    if route.body is None:
        return client.generic(method, path)
    return client.generic(method, path, json.dumps(route.body()), content_type="application/json")


# --- The walk ----------------------------------------------------------------------------


def api_client(host: str, authorization: str) -> Client:
    """An API client as the server meets it: CSRF is checked (Django's test client skips
    that unless told), so a refusal by the CSRF check shows as it would in production."""
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=authorization, enforce_csrf_checks=True)


def owner_api(fixture: WorkspaceFixture) -> Client:
    return api_client(fixture.host, api(fixture).defaults["HTTP_AUTHORIZATION"])


@pytest.fixture
def alpha_and_beta(two_workspaces) -> tuple[Alpha, Client, WorkspaceFixture]:
    alpha, beta = two_workspaces
    a = Alpha(alpha, owner_api(alpha))
    # Something to send campaigns to, and the postal address every campaign email needs.
    post(a.client, "/api/v1/leads", {"first_name": "Reader", "email": "reader@alpha.example"})
    settings = a.client.generic(
        "PATCH",
        "/api/v1/email/settings",
        json.dumps({"postal_address": "Alpha Coaching, 1 Quay Street, Bristol BS1 4DJ"}),
        content_type="application/json",
    )
    assert settings.status_code == 200, settings.content
    return a, owner_api(beta), beta


def test_every_route_with_an_id_is_known(make_workspace) -> None:
    in_spec = set(spec_routes_with_an_id(make_workspace().client()))

    unknown = sorted(in_spec - set(ROUTES))
    gone = sorted(set(ROUTES) - in_spec)
    no_maker = sorted({the_parameter(path) for _, path in in_spec} - set(MAKERS))

    assert unknown == [], (
        "routes with an id that tests/isolation does not check yet: add each to ROUTES "
        f"(and its object to MAKERS): {unknown}"
    )
    assert gone == [], f"ROUTES names routes the spec no longer has: {gone}"
    assert no_maker == [], f"no MAKERS entry builds an object for: {no_maker}"


@pytest.mark.parametrize("parameter", sorted(MAKERS))
def test_another_workspace_gets_404_and_sees_nothing_of_the_object(
    alpha_and_beta, parameter: str
) -> None:
    alpha, beta_api, _ = alpha_and_beta
    routes = [
        (method, path)
        for method, path in spec_routes_with_an_id(alpha.client)
        if the_parameter(path) == parameter
    ]
    assert routes, f"the spec has no route with {{{parameter}}} any more"
    problems = []

    for method, path in routes:
        route = ROUTES[(method, path)]
        made = MAKERS[parameter](alpha)
        if route.prepare:
            route.prepare(alpha, made.id)
        url = path.replace(f"{{{parameter}}}", str(made.id))

        answer = send(beta_api, method, url, route)
        leaked = sorted(value for value in made.values if value in answer.text)
        own = send(alpha.client, method, url, route)

        if answer.status_code != 404:
            problems.append(f"{method} {url} as B: {answer.status_code} {answer.text[:300]}")
        elif answer.json().get("error", {}).get("code") is None:
            problems.append(f"{method} {url} as B: 404 without the error shape: {answer.text}")
        if leaked:
            problems.append(f"{method} {url} as B shows A's {leaked}")
        if own.status_code >= 400:
            problems.append(
                f"{method} {url} as A on its own host: {own.status_code} {own.text[:300]} "
                "(fix the request in ROUTES: B's 404 proves nothing if A is refused too)"
            )

    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_credentials_of_one_workspace_mean_nothing_on_another_host(
    alpha_and_beta, method: str
) -> None:
    alpha, _, beta = alpha_and_beta
    key = post(alpha.client, "/api/v1/api-keys", {"name": "Alpha integration"}).json()["key"]
    credentials = {
        "access token": alpha.client.defaults["HTTP_AUTHORIZATION"],
        "API key": f"Bearer {key}",
    }
    routes = [(m, path) for m, path in spec_routes_with_an_id(alpha.client) if m == method]
    assert routes, f"no {method} route with an id in the spec"
    problems = []

    for _, path in routes:
        parameter = the_parameter(path)
        made = MAKERS[parameter](alpha)
        url = path.replace(f"{{{parameter}}}", str(made.id))
        for kind, authorization in credentials.items():
            stolen = api_client(beta.host, authorization)

            answer = send(stolen, method, url, ROUTES[(method, path)])

            code = answer.json().get("error", {}).get("code") if answer.content else None
            if (answer.status_code, code) != (401, "not_authenticated"):
                problems.append(
                    f"{method} {url} with A's {kind} on B's host: "
                    f"{answer.status_code} {answer.text[:200]}"
                )

    assert problems == [], "\n".join(problems)
