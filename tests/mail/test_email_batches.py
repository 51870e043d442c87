"""Postmark batches through postmarker against the loopback double: per-message outcomes,
and the whole-call failures a sending job must retry (or must not)."""

from __future__ import annotations

import pytest

from mail.gateway import (
    Email,
    PermanentSendError,
    TransientSendError,
    find_sent_message_ids,
    send_batch,
)
from tests.support.fakes import FakePostmark


def emails(count: int, start: int = 0) -> list[Email]:
    return [
        Email(
            to=f"r{i}@x.example",
            subject="Doors open",
            text_body="Hi",
            stream="broadcast",
            metadata={"message_id": str(i)},
            headers={"List-Unsubscribe": "<https://u>"},
        )
        for i in range(start, start + count)
    ]


def test_a_batch_is_one_call_with_one_outcome_per_message(postmark: FakePostmark) -> None:
    outcomes = send_batch(emails(3))

    assert postmark.batches == [3]
    assert [outcome.accepted for outcome in outcomes] == [True, True, True]
    assert [outcome.provider_id for outcome in outcomes] == [m["_id"] for m in postmark.received]
    assert postmark.received[0]["MessageStream"] == "broadcast"
    assert postmark.received[0]["Headers"] == [{"Name": "List-Unsubscribe", "Value": "<https://u>"}]


def test_500_messages_fit_one_call_and_501_are_refused(postmark: FakePostmark) -> None:
    send_batch(emails(500))

    with pytest.raises(ValueError, match="at most 500"):
        send_batch(emails(501))
    assert postmark.batches == [500]


def test_refusals_inside_a_200_answer_are_read_per_message(postmark: FakePostmark) -> None:
    postmark.refuse = {"r1@x.example": 406, "r2@x.example": 300}

    ok, inactive, invalid = send_batch(emails(3))

    assert ok.accepted and not ok.suppress_recipient
    assert not inactive.accepted and inactive.suppress_recipient
    assert not invalid.accepted and not invalid.suppress_recipient
    assert invalid.reason == "Refused by the double"
    assert postmark.accepted_to() == ["r0@x.example"]


def test_429_is_transient_and_carries_retry_after(postmark: FakePostmark) -> None:
    postmark.fail_next, postmark.retry_after = [429], 7

    with pytest.raises(TransientSendError) as raised:
        send_batch(emails(2))

    assert raised.value.retry_after == 7
    assert postmark.received == []


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(postmark: FakePostmark, status: int) -> None:
    postmark.fail_next = [status]

    with pytest.raises(TransientSendError):
        send_batch(emails(1))
    assert len(send_batch(emails(1))) == 1  # the next call goes through


def test_a_timeout_is_transient(postmark: FakePostmark) -> None:
    postmark.fail_next, postmark.slow_seconds = ["slow"], 2.5

    with pytest.raises(TransientSendError, match="did not answer"):
        send_batch(emails(1))


def test_a_dropped_connection_is_transient_but_the_messages_may_have_gone(
    postmark: FakePostmark,
) -> None:
    postmark.fail_next = ["drop"]

    with pytest.raises(TransientSendError):
        send_batch(emails(2))

    # Why a sender must look before it resends: the double accepted both.
    found = find_sent_message_ids(metadata_key="message_id", value="1")
    assert found == [postmark.received[1]["_id"]]
    assert find_sent_message_ids(metadata_key="message_id", value="9") == []


def test_a_refused_token_is_permanent(postmark: FakePostmark) -> None:
    postmark.fail_next = [401]

    with pytest.raises(PermanentSendError):
        send_batch(emails(1))


def test_batches_are_cut_at_500_messages_and_at_the_payload_limit() -> None:
    from mail.gateway import payload_size, split_into_batches

    by_count = [len(batch) for batch in split_into_batches(emails(1201))]
    one_size = payload_size(emails(1)[0]) + 1
    by_bytes = [len(batch) for batch in split_into_batches(emails(10), max_bytes=3 * one_size + 2)]

    assert by_count == [500, 500, 201]
    assert by_bytes == [3, 3, 3, 1]
    with pytest.raises(ValueError, match="larger than a batch"):
        list(split_into_batches(emails(1), max_bytes=10))


def test_search_reads_every_page_of_results(postmark: FakePostmark) -> None:
    batch = [
        Email(to=f"p{i}@x.example", subject="s", text_body="t", metadata={"crm_batch": "b1"})
        for i in range(500)
    ]
    send_batch(batch)
    send_batch(batch[:120])

    found = find_sent_message_ids(metadata_key="crm_batch", value="b1")

    assert len(found) == 620 and len(set(found)) == 620


def test_the_outbox_gateway_stores_batches_and_finds_them_by_metadata(make_workspace) -> None:
    from django_tenants.utils import schema_context

    from mail.gateway import OutboxGateway

    fixture = make_workspace()
    with schema_context(fixture.workspace.schema_name):
        outcomes = OutboxGateway().send_batch(emails(3))
        found = OutboxGateway().find_sent(metadata_key="message_id", value="2")

    assert [outcome.accepted for outcome in outcomes] == [True, True, True]
    assert [message.provider_id for message in found] == [outcomes[2].provider_id]
