"""The model-driven engine retries as botocore does: the same faults, injected by a proxy in
front of ministack, give boto3 and s3seal the same attempts, the same `RetryAttempts` and
the same final error, in legacy and standard mode."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from faults import FaultProxy

UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
SLOW_DOWN_BODY = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
SLOW_DOWN = (
    b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
    + f"Content-Length: {len(SLOW_DOWN_BODY)}\r\n\r\n".encode()
    + SLOW_DOWN_BODY
)
INTERNAL = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
BAD_REQUEST_BODY = b"<Error><Code>InvalidArgument</Code><Message>no</Message></Error>"
BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nConnection: close\r\n"
    + f"Content-Length: {len(BAD_REQUEST_BODY)}\r\n\r\n".encode()
    + BAD_REQUEST_BODY
)


def outcome(client: Any, bucket: str) -> tuple[str, Any]:
    try:
        r = client.list_objects(Bucket=bucket)
        return "ok", r["ResponseMetadata"]["RetryAttempts"]
    except botocore.exceptions.ClientError as e:
        meta = e.response["ResponseMetadata"]
        return type(e).__name__, (str(e), meta["RetryAttempts"], meta.get("MaxAttemptsReached", False))
    except botocore.exceptions.BotoCoreError as e:
        return type(e).__name__, str(e).replace(str(client.meta.endpoint_url), "<url>")


@pytest.mark.parametrize("mode", ["legacy", "standard"])
@pytest.mark.parametrize(
    "faults",
    [
        pytest.param([UNAVAILABLE, UNAVAILABLE], id="503 twice"),
        pytest.param([SLOW_DOWN], id="SlowDown"),
        pytest.param(["reset"], id="reset after the request"),
        pytest.param([INTERNAL] * 4, id="500 past the last attempt"),
        pytest.param([BAD_REQUEST], id="400 is final"),
    ],
)
def test_attempts_match_boto3(ministack, mode: str, faults: list[Any]) -> None:  # type: ignore[no-untyped-def]
    bucket = f"retry-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", **ministack.client_kwargs()).create_bucket(Bucket=bucket)
    results = []
    for make in (boto3.client, s3seal.client):
        proxy = FaultProxy(ministack.port)
        try:
            proxy.then(*faults)
            kwargs = {**ministack.client_kwargs(), "endpoint_url": proxy.url}
            # Three attempts keep the backoff short (botocore sleeps up to 2^n s between tries).
            config = botocore.config.Config(retries={"mode": mode, "total_max_attempts": 3}, read_timeout=5)
            client = make("s3", config=config, **kwargs)
            results.append((outcome(client, bucket), proxy.connections))
        finally:
            proxy.close()
    assert results[1] == results[0]
