"""Every log line of a request carries its request id, schema and user id."""

from __future__ import annotations

import logging

import pytest


def finished_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request_finished"
    ]


def test_request_id_flows_from_the_request_into_the_log_line(make_workspace, caplog) -> None:
    fixture = make_workspace()
    client = fixture.signed_in_client()
    caplog.set_level(logging.INFO)

    response = client.get("/", HTTP_X_REQUEST_ID="trace-abc-123")

    assert response["X-Request-ID"] == "trace-abc-123"
    line = finished_lines(caplog)[-1]
    assert line["request_id"] == "trace-abc-123"
    assert line["schema"] == fixture.workspace.schema_name
    assert line["user_id"] is not None
    assert line["status"] == 200


def test_unsafe_request_id_is_replaced_by_a_fresh_one(make_workspace, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = make_workspace().client().get("/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32
    assert finished_lines(caplog)[-1]["request_id"] == response["X-Request-ID"]


def test_request_without_id_gets_one(apex_client, caplog) -> None:
    caplog.set_level(logging.INFO)

    response = apex_client.get("/")

    assert finished_lines(caplog)[-1]["request_id"] == response["X-Request-ID"]
    assert finished_lines(caplog)[-1]["schema"] == "public"
