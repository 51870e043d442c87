"""Walks both OpenAPI specs and, for every operation, sends hostile values to every field of
its body and query that the spec documents: NUL bytes, over-long strings, datetimes that
PostgreSQL cannot store, nulls, and a query parameter the operation does not have.

Each must be answered with a 4xx in the error shape (422 naming the field where the value is
wrong by the spec), never a 5xx and never a stream that breaks off. The values that are valid
by the spec (a long text without a documented limit, a null where null is documented) must
not be a 5xx either. Every datetime in every JSON answer carries its offset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from project.urls_public import api as public_api
from project.urls_tenant import api as workspace_api
from tests.project.conftest import PopulatedWorkspace, rolled_back

NUL = "a\x00b"
UNLIMITED_TEXT = "x" * 10_000
EXTREME_DATETIMES = [
    "2026-01-01T00:00:00+20:00",  # an offset PostgreSQL refuses
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "9999-12-31T23:00:00-05:00",  # year 10000 once in UTC
    "0001-01-01T00:00:00+05:00",  # year 0 once in UTC
]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
WITH_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
# Path parameters and body fields that name a row: the walk points them at real ones.
ROW_OF_PARAMETER = {
    "lead_id": "lead",
    "task_id": "task",
    "campaign_id": "campaign",
    "product_id": "product",
    "stage_id": "stage",
    "field_id": "field",
    "member_id": "member",
    "api_key_id": "api_key",
    "import_id": "import",
    "payment_id": "payment",
    "lead": "lead",
    "assignee": "member",
    "owner": "member",
    "new_owner_id": "member",
    "stage": "stage",
    "campaign": "campaign",
    "object_id": "lead",
}


def _spec(api: Any, prefix: str) -> dict[str, Any]:
    return api.get_openapi_schema(path_prefix=prefix)


WORKSPACE_SPEC = _spec(workspace_api, "/api/v1/")
PUBLIC_SPEC = _spec(public_api, "/api/")


@dataclass
class Operation:
    spec: dict[str, Any]
    method: str
    path: str
    definition: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def query_parameters(self) -> list[dict[str, Any]]:
        return [p for p in self.definition.get("parameters", []) if p["in"] == "query"]

    def body(self) -> tuple[str, dict[str, Any]] | None:
        content = self.definition.get("requestBody", {}).get("content", {})
        for media_type, entry in content.items():
            return media_type, self.resolve(entry["schema"])
        return None


def _operations(spec: dict[str, Any]) -> list[Operation]:
    return [
        Operation(spec, method, path, definition)
        for path, methods in spec["paths"].items()
        for method, definition in methods.items()
    ]


def _variants(operation: Operation, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a field's schema, references resolved."""
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [operation.resolve(option) for option in options if option.get("type") != "null"]


def _nullable(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    untyped = not any(key in schema for key in ("type", "anyOf", "oneOf", "$ref", "enum"))
    return untyped or any(option.get("type") == "null" for option in options)


@dataclass
class Probe:
    """One hostile request and what the answer must be."""

    label: str
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    files: dict[str, Any] | None = None
    must_reject: bool = True  # 4xx; else anything but a 5xx
    names: str | None = None  # the field the 422 must name


def _sample(operation: Operation, name: str, schema: dict[str, Any], ids: dict[str, int]) -> Any:
    """A valid-looking value for a required field, so the probe's one bad field is the reason
    for whatever happens."""
    if name in ROW_OF_PARAMETER:
        row = ids[ROW_OF_PARAMETER[name]]
        return [row] if any(v.get("type") == "array" for v in _variants(operation, schema)) else row
    examples = schema.get("examples") or []
    if examples:
        return examples[0]
    variant = _variants(operation, schema)[0] if _variants(operation, schema) else {}
    kind = variant.get("type")
    if "enum" in variant:
        return variant["enum"][0]
    if variant.get("format") == "date-time":
        return "2030-01-01T09:00:00Z"
    if kind == "string":
        return "a@x.example" if "email" in name else "x"
    if kind == "integer":
        return 1
    if kind == "number":
        return "1.00"
    if kind == "boolean":
        return False
    if kind == "array":
        return [ids["lead"]] if name == "ids" else []
    if kind == "object":
        return {}
    return "x"


def _example(operation: Operation, schema: dict[str, Any]) -> dict[str, Any]:
    examples = schema.get("examples") or []
    return dict(examples[0]) if examples and isinstance(examples[0], dict) else {}


def _base_body(operation: Operation, schema: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """The schema's example (rows it names pointed at real ones), else its required fields,
    so that the one hostile field of a probe is what decides the answer."""
    properties = schema.get("properties", {})
    body = {
        name: _sample(operation, name, properties[name], ids) if name in ROW_OF_PARAMETER else value
        for name, value in _example(operation, schema).items()
    }
    for name in schema.get("required", []):
        if name not in body:
            body[name] = _sample(operation, name, properties[name], ids)
    return body


def _hostile_values(
    operation: Operation, schema: dict[str, Any], *, in_query: bool
) -> Iterator[tuple[str, Any, bool]]:
    """(label, value, must_reject) for one field."""
    variants = _variants(operation, schema)
    kinds = {variant.get("type") for variant in variants}
    if any(variant.get("format") == "date-time" for variant in variants):
        for moment in EXTREME_DATETIMES:
            yield f"datetime {moment}", moment, True
    elif "string" in kinds and not any(v.get("format") == "binary" for v in variants):
        yield "NUL", NUL, True
        limits = [v["maxLength"] for v in variants if "maxLength" in v]
        if limits:
            yield "over maxLength", "x" * (max(limits) + 1), True
        else:
            yield "long text", UNLIMITED_TEXT, False
    elif "array" in kinds:
        items = [operation.resolve(v.get("items", {})) for v in variants]
        if any(item.get("type") == "string" for item in items):
            yield "NUL in a list", [NUL], True
    elif "object" in kinds and not in_query:
        yield "NUL in a free-form value", {"key": NUL}, True
        yield "NUL in a free-form key", {NUL: "value"}, True
    if not in_query:
        yield "null", None, not _nullable(schema)


def _probes(operation: Operation, ids: dict[str, int]) -> Iterator[Probe]:
    for parameter in operation.query_parameters():
        name = parameter["name"]
        for label, value, must_reject in _hostile_values(
            operation, parameter["schema"], in_query=True
        ):
            yield Probe(
                f"query {name}: {label}",
                query={name: value},
                must_reject=must_reject,
                names=name if must_reject else None,
            )
    yield Probe("unknown query parameter", query={"not_a_parameter": "1"}, names="not_a_parameter")

    body = operation.body()
    if body is None:
        return
    media_type, schema = body
    if media_type == "multipart/form-data":
        yield from _multipart_probes(operation, schema)
        return
    base = _base_body(operation, schema, ids)
    yield Probe("base body", body=base, must_reject=False)
    for name, property_schema in schema.get("properties", {}).items():
        for label, value, must_reject in _hostile_values(
            operation, property_schema, in_query=False
        ):
            yield Probe(
                f"body {name}: {label}",
                body={**base, name: value},
                must_reject=must_reject,
                names=name if must_reject else None,
            )
        for variant in _variants(operation, property_schema):
            if variant.get("type") != "object" or not variant.get("properties"):
                continue
            nested_base = _base_body(operation, variant, ids)
            for inner, inner_schema in variant["properties"].items():
                for label, value, must_reject in _hostile_values(
                    operation, inner_schema, in_query=False
                ):
                    yield Probe(
                        f"body {name}.{inner}: {label}",
                        body={**base, name: {**nested_base, inner: value}},
                        must_reject=must_reject,
                        names=f"{name}.{inner}" if must_reject else None,
                    )


CSV = "email,first_name\na@x.example,Ada\n"


def _multipart_probes(operation: Operation, schema: dict[str, Any]) -> Iterator[Probe]:
    def upload(text: str) -> dict[str, Any]:
        return {"file": SimpleUploadedFile("leads.csv", text.encode())}

    yield Probe("base form", files=upload(CSV), must_reject=False)
    yield Probe("NUL in a CSV cell", files=upload("email,first_name\na@x.example,A\x00da\n"))
    for name, property_schema in schema.get("properties", {}).items():
        if property_schema.get("type") == "string" and property_schema.get("format") != "binary":
            yield Probe(f"form {name}: NUL", body={name: NUL}, files=upload(CSV), names=name)


def _send(client: Client, operation: Operation, path: str, probe: Probe) -> tuple[int, Any]:
    method = getattr(client, operation.method)
    query = urlencode(
        [
            (name, v)
            for name, value in probe.query.items()
            for v in (value if isinstance(value, list) else [value])
        ]
    )
    url = f"{path}?{query}" if query else path
    if probe.files is not None:
        response = method(url, {**(probe.body or {}), **probe.files})
    elif probe.body is not None:
        response = method(url, json.dumps(probe.body), content_type="application/json")
    else:
        response = method(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "json" not in response.get("Content-Type", ""):
        return response.status_code, None
    return response.status_code, json.loads(content) if content else None


def _unshaped(answer: Any) -> bool:
    error = answer.get("error") if isinstance(answer, dict) else None
    return not (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and isinstance(error.get("details"), list)
    )


def _times_without_offset(answer: Any) -> Iterator[str]:
    if isinstance(answer, dict):
        for value in answer.values():
            yield from _times_without_offset(value)
    elif isinstance(answer, list):
        for value in answer:
            yield from _times_without_offset(value)
    elif isinstance(answer, str) and TIMESTAMP.match(answer) and not WITH_OFFSET.search(answer):
        yield answer


def _problem(status: int, answer: Any, probe: Probe) -> str | None:
    if status >= 500:
        return f"answered {status}"
    if not probe.must_reject:
        if status >= 400 and _unshaped(answer):
            return f"answered {status} outside the error shape"
        naive = list(_times_without_offset(answer))
        return f"datetimes without an offset: {naive[:3]}" if naive else None
    if not 400 <= status < 500:
        return f"accepted with {status}"
    if _unshaped(answer):
        return f"answered {status} outside the error shape"
    if status == 422 and probe.names:
        named = [detail.get("field") for detail in answer["error"]["details"]]
        if not any(str(name).startswith(probe.names) for name in named):
            return f"422 names {named}, not {probe.names}"
    return None


def _walk(operation: Operation, client: Client, workspace: PopulatedWorkspace | None) -> list[str]:
    ids = workspace.ids if workspace else {}
    path = operation.path
    for parameter in operation.definition.get("parameters", []):
        if parameter["in"] == "path":
            row = ids[ROW_OF_PARAMETER[parameter["name"]]]
            path = path.replace("{" + parameter["name"] + "}", str(row))
    problems = []
    for probe in _probes(operation, ids):
        with rolled_back():
            try:
                status, answer = _send(client, operation, path, probe)
            except Exception as error:  # a broken stream or an unhandled error in a view
                problems.append(f"{probe.label}: raised {type(error).__name__}: {error}")
                continue
        problem = _problem(status, answer, probe)
        if problem:
            problems.append(f"{probe.label}: {problem}")
    return problems


@pytest.mark.parametrize(
    "operation", _operations(WORKSPACE_SPEC), ids=lambda operation: operation.name
)
def test_workspace_operation_refuses_hostile_input(
    populated_workspace: PopulatedWorkspace, operation: Operation, settings: Any
) -> None:
    settings.CRM_LOGIN_RATE_IP = settings.CRM_LOGIN_RATE_EMAIL = "10000/m"

    problems = _walk(operation, populated_workspace.client, populated_workspace)

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "operation", _operations(PUBLIC_SPEC), ids=lambda operation: operation.name
)
def test_public_operation_refuses_hostile_input(
    apex_client: Client, operation: Operation, settings: Any
) -> None:
    settings.CRM_SIGNUP_RATE = "10000/h"

    problems = _walk(operation, apex_client, None)

    assert not problems, "\n".join(problems)


def test_the_walk_covers_every_operation_the_apis_serve(
    populated_workspace: PopulatedWorkspace, apex_client: Client
) -> None:
    served = populated_workspace.client.get("/api/v1/openapi.json").json()
    served_public = apex_client.get("/api/openapi.json").json()

    assert served["paths"].keys() == WORKSPACE_SPEC["paths"].keys()
    assert served_public["paths"].keys() == PUBLIC_SPEC["paths"].keys()
