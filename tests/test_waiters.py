"""Waiters: the four S3 waiters against ministack, beside real boto3 (success, and timeout
with the same WaiterError message and last response); the generic acceptors against
botocore's own Waiter on synthetic responses (no server)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import boto3
import botocore.exceptions
import botocore.waiter
import pytest
import s3seal
from conftest import SSE_KEY
from s3seal import waiter

FAST = {"Delay": 0.05, "MaxAttempts": 3}


@pytest.fixture
def clients(ministack) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    return boto3.client("s3", **ministack.client_kwargs()), s3seal.client("s3", **ministack.client_kwargs())


def test_waiter_names_and_unknown_waiter(clients) -> None:  # type: ignore[no-untyped-def]
    real, ours = clients
    assert ours.waiter_names == real.waiter_names
    assert ours.waiter_names == ["bucket_exists", "bucket_not_exists", "object_exists", "object_not_exists"]
    with pytest.raises(ValueError, match="Waiter does not exist: table_exists"):
        ours.get_waiter("table_exists")
    w = ours.get_waiter("object_exists")
    assert type(w).__name__ == "S3.Waiter.ObjectExists" and w.name == "ObjectExists"
    assert (w.config.operation, w.config.delay, w.config.max_attempts) == ("HeadObject", 5, 20)


def test_existing_things_succeed_at_once(clients, mbucket) -> None:  # type: ignore[no-untyped-def]
    _, ours = clients
    ours.put_object(Bucket=mbucket, Key="here", Body=b"x")
    start = time.monotonic()
    ours.get_waiter("bucket_exists").wait(Bucket=mbucket, WaiterConfig=FAST)
    ours.get_waiter("object_exists").wait(Bucket=mbucket, Key="here", WaiterConfig=FAST)
    ours.get_waiter("object_not_exists").wait(Bucket=mbucket, Key="absent", WaiterConfig=FAST)
    ours.get_waiter("bucket_not_exists").wait(Bucket=f"absent-{uuid.uuid4().hex[:8]}", WaiterConfig=FAST)
    assert time.monotonic() - start < 2  # no sleeping when the first attempt succeeds


def test_object_exists_waits_until_the_object_appears(clients, mbucket) -> None:  # type: ignore[no-untyped-def]
    _, ours = clients
    calls = []
    head = ours.head_object

    def counting_head(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return head(**kwargs)

    ours.head_object = counting_head  # the waiter calls the client's method, as botocore's does
    timer = threading.Timer(0.3, lambda: clients[0].put_object(Bucket=mbucket, Key="later", Body=b"x"))
    timer.start()
    try:
        ours.get_waiter("object_exists").wait(
            Bucket=mbucket, Key="later", WaiterConfig={"Delay": 0.1, "MaxAttempts": 40}
        )
    finally:
        timer.join()
    assert len(calls) >= 2 and calls[0] == {"Bucket": mbucket, "Key": "later"}
    assert ours.head_object(Bucket=mbucket, Key="later")["ContentLength"] == 1


def error_view(e: Any) -> tuple[str, Any, Any]:
    """The message, the error, and the status of a WaiterError's last response."""
    response = e.last_response
    return str(e), response.get("Error"), response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    ("name", "present", "message"),
    [
        (
            "object_exists",
            False,
            "Waiter ObjectExists failed: Max attempts exceeded. Previously accepted state",
        ),
        ("object_not_exists", True, "Waiter ObjectNotExists failed: Max attempts exceeded"),
        ("bucket_not_exists", True, "Waiter BucketNotExists failed: Max attempts exceeded"),
    ],
)
def test_timeouts_raise_boto3s_waiter_error(clients, mbucket, name, present, message) -> None:  # type: ignore[no-untyped-def]
    real, ours = clients
    if present:
        real.put_object(Bucket=mbucket, Key="k", Body=b"x")
    args = {"Bucket": mbucket, "WaiterConfig": FAST}
    if name.startswith("object"):
        args["Key"] = "k"
    with pytest.raises(botocore.exceptions.WaiterError) as theirs:
        real.get_waiter(name).wait(**dict(args))
    with pytest.raises(s3seal.exceptions.WaiterError) as mine:
        ours.get_waiter(name).wait(**dict(args))
    assert str(mine.value).startswith(message)
    assert error_view(mine.value) == error_view(theirs.value)
    assert sorted(mine.value.last_response) == sorted(theirs.value.last_response)


def test_unexpected_error_ends_the_wait(clients, mbucket) -> None:  # type: ignore[no-untyped-def]
    real, ours = clients
    # An SSE-C object read without its key: HeadObject answers 400, which no acceptor expects.
    real.put_object(
        Bucket=mbucket, Key="sealed", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=SSE_KEY
    )
    outcomes = []
    for client in (real, ours):
        start = time.monotonic()
        with pytest.raises(botocore.exceptions.WaiterError) as e:
            client.get_waiter("object_exists").wait(
                Bucket=mbucket, Key="sealed", WaiterConfig={"Delay": 5, "MaxAttempts": 3}
            )
        assert time.monotonic() - start < 4  # failed at the first answer, no sleep
        outcomes.append(error_view(e.value))
    assert outcomes[1] == outcomes[0]
    assert outcomes[1][0].startswith("Waiter ObjectExists failed: An error occurred (400)")


# The acceptors against botocore's own Waiter, on synthetic responses.

ACCEPTORS = [
    {"matcher": "path", "argument": "Table.Status", "expected": "ACTIVE", "state": "success"},
    {"matcher": "pathAll", "argument": "Items[].State", "expected": "ok", "state": "success"},
    {"matcher": "pathAny", "argument": "Items[].State", "expected": "bad", "state": "failure"},
    {"matcher": "error", "expected": "Throttled", "state": "retry"},
    {"matcher": "error", "expected": "Gone", "state": "failure"},
    {"matcher": "status", "expected": 503, "state": "retry"},
]
RESPONSES = {
    "path success": [{"Table": {"Status": "CREATING"}}, {"Table": {"Status": "ACTIVE"}}],
    "pathAll success": [{"Items": [{"State": "ok"}, {"State": "wip"}]}, {"Items": [{"State": "ok"}]}],
    "pathAll empty list never matches": [{"Items": []}, {"Items": []}, {"Items": []}],
    "pathAny failure": [{"Items": [{"State": "ok"}, {"State": "bad"}]}],
    "error retry then success": [{"Error": {"Code": "Throttled"}}, {"Table": {"Status": "ACTIVE"}}],
    "error failure": [{"Error": {"Code": "Gone", "Message": "it went"}}],
    "unexpected error": [{"Error": {"Code": "Odd", "Message": "odd"}}],
    "status retry, then max attempts": [{"ResponseMetadata": {"HTTPStatusCode": 503}}] * 3,
    "nothing matches": [{"Other": 1}] * 3,
}


def run(module: Any, responses: list[dict[str, Any]], expected_any_error: Any = None) -> tuple[Any, int]:
    acceptors = [*ACCEPTORS]
    if expected_any_error is not None:
        acceptors.insert(0, {"matcher": "error", "expected": expected_any_error, "state": "retry"})
    config = module.SingleWaiterConfig(
        {"operation": "Op", "delay": 0, "maxAttempts": 3, "acceptors": acceptors}
    )
    remaining = list(responses)

    def operation(**kwargs: Any) -> dict[str, Any]:
        return remaining.pop(0)

    try:
        module.Waiter("Synthetic", config, operation).wait(WaiterConfig={"Delay": 0})
        outcome: Any = "success"
    except botocore.exceptions.WaiterError as e:
        outcome = (str(e), e.last_response)
    return outcome, len(remaining)


@pytest.mark.parametrize("case", list(RESPONSES))
def test_acceptors_match_botocore(case) -> None:  # type: ignore[no-untyped-def]
    assert run(waiter, RESPONSES[case]) == run(botocore.waiter, RESPONSES[case])


@pytest.mark.parametrize("expected", [True, False])
def test_error_matcher_true_and_false(expected) -> None:  # type: ignore[no-untyped-def]
    responses = [{"Error": {"Code": "Any"}}, {"Other": 1}, {"Table": {"Status": "ACTIVE"}}]
    ours = run(waiter, responses, expected_any_error=expected)
    assert ours == run(botocore.waiter, responses, expected_any_error=expected)
