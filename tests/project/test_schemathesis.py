"""Schemathesis over both OpenAPI specs, in the normal suite: every operation gets a bounded,
derandomized run (fixed seed, few examples, positive and negative data) through the real
WSGI application, on a fresh workspace with a real bearer token. No answer may be a 5xx,
and every answer must be one the spec documents: its status, content type and schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.strategies import SearchStrategy, one_of
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from project.urls_public import api as public_api
from project.urls_tenant import api as workspace_api
from project.wsgi import application
from tests.project.conftest import PopulatedWorkspace, rolled_back
from tests.project.test_hostile_input_walk import ROW_OF_PARAMETER

SEED = 20_260_101
EXAMPLES_PER_MODE = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

WORKSPACE_SCHEMA = schemathesis.openapi.from_dict(
    workspace_api.get_openapi_schema(path_prefix="/api/v1/")
)
PUBLIC_SCHEMA = schemathesis.openapi.from_dict(public_api.get_openapi_schema(path_prefix="/api/"))
for _schema in (WORKSPACE_SCHEMA, PUBLIC_SCHEMA):
    _schema.app = application  # calls go in-process through the WSGI transport


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


@contextmanager
def wsgi_in_test_transaction() -> Iterator[None]:
    """Django closes the connection at the end of a WSGI request; inside a test's transaction
    that would abort it. Django's test client unhooks the same signal for its own requests
    (and hooks it back after each), so no test client request may run inside this."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(
    operation: Any,
    *,
    base_url: str,
    headers: dict[str, str],
    path_parameters: dict[str, Any],
) -> None:
    """The spec's own examples, then positive and negative data, each a fixed-seed Hypothesis
    run; every call is undone, so each starts from the same rows."""

    def check(case: Any) -> None:
        with rolled_back():
            response = case.call(base_url=base_url, headers=headers)
        case.validate_response(response, checks=CHECKS)

    examples = operation.get_strategies_from_examples(path_parameters=path_parameters)
    runs: list[tuple[SearchStrategy[Any], int]] = (
        [(one_of(examples), len(examples))] if examples else []
    )
    # With its path fixed, an operation without query or body has nothing to make invalid.
    negatable = len(operation.query) > 0 or len(operation.body) > 0
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negatable else [])
    runs += [
        (
            operation.as_strategy(generation_mode=mode, path_parameters=path_parameters),
            EXAMPLES_PER_MODE,
        )
        for mode in modes
    ]
    for strategy, count in runs:
        test: Callable[[], None] = seed(SEED)(
            hypothesis_settings(
                max_examples=count,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )(given(case=strategy)(check))
        )
        with wsgi_in_test_transaction():
            test()


@pytest.mark.parametrize(
    "operation", _operations(WORKSPACE_SCHEMA), ids=lambda operation: operation.label
)
def test_workspace_api_answers_as_documented(
    populated_workspace: PopulatedWorkspace,
    operation: Any,
    settings: Any,
) -> None:
    settings.CRM_LOGIN_RATE_IP = settings.CRM_LOGIN_RATE_EMAIL = "10000/m"
    path_parameters = {
        parameter.name: populated_workspace.ids[ROW_OF_PARAMETER[parameter.name]]
        for parameter in operation.path_parameters
    }

    _run(
        operation,
        base_url=f"http://{populated_workspace.host}",
        headers={"Authorization": f"Bearer {populated_workspace.token}"},
        path_parameters=path_parameters,
    )


@pytest.mark.parametrize("operation", _operations(PUBLIC_SCHEMA), ids=lambda op: op.label)
def test_public_api_answers_as_documented(db: None, operation: Any, settings: Any) -> None:
    settings.CRM_SIGNUP_RATE = "10000/h"

    _run(operation, base_url="http://localhost", headers={}, path_parameters={})
