"""The connection pool (src/transport/pool.rs) as boto3 and aiobotocore users see it: a
connection the server closed while it sat idle is never used for the next request (urllib3
checks its pooled connections the same way), and the async client keeps at most
``max_pool_connections`` connections in use, as aiobotocore's connector does. Every request
goes through a proxy on 127.0.0.1 in front of ministack, which counts the connections."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import boto3
import botocore.config
import s3seal
import s3seal.aio
from faults import FaultProxy


def make_bucket(ministack: Any, objects: int = 1) -> str:
    bucket = f"pool-{uuid.uuid4().hex[:10]}"
    s3 = boto3.client("s3", **ministack.client_kwargs())
    s3.create_bucket(Bucket=bucket)
    for i in range(objects):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x" * 100)
    return bucket


def test_a_connection_closed_while_idle_is_not_reused(ministack) -> None:  # type: ignore[no-untyped-def]
    bucket = make_bucket(ministack)
    results = {}
    for name, make in (("boto3", boto3.client), ("s3seal", s3seal.client)):
        with FaultProxy(ministack.port) as proxy:
            kwargs = {**ministack.client_kwargs(), "endpoint_url": proxy.url}
            client = make("s3", **kwargs)
            client.head_object(Bucket=bucket, Key="k0")
            # The server side goes away while the connection waits in the pool.
            proxy.outage(0.2)
            head = client.head_object(Bucket=bucket, Key="k0")
            results[name] = (head["ResponseMetadata"]["RetryAttempts"], proxy.connections)
    # Not a retry: the dead connection is dropped before the request is written to it.
    assert results["s3seal"] == results["boto3"] == (0, 2)


def test_connections_are_reused_across_calls_and_threads(ministack) -> None:  # type: ignore[no-untyped-def]
    bucket = make_bucket(ministack)
    with FaultProxy(ministack.port) as proxy:
        client = s3seal.client("s3", **{**ministack.client_kwargs(), "endpoint_url": proxy.url})
        for _ in range(20):
            client.get_object(Bucket=bucket, Key="k0")["Body"].read()
        assert proxy.connections == 1
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(20):
                    client.get_object(Bucket=bucket, Key="k0")["Body"].read()
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        # Connections carry many requests each (160 here), not one per request. (A call
        # driving a local runtime may open one more while another thread still reads a
        # body from that runtime's connection: a few per thread at most.)
        assert proxy.connections <= 3 * 8


def test_async_client_caps_connections_in_use(ministack) -> None:  # type: ignore[no-untyped-def]
    bucket = make_bucket(ministack, objects=4)

    async def main(url: str) -> list[bytes]:
        config = s3seal.Config(max_pool_connections=2)
        kwargs = {**ministack.client_kwargs(), "endpoint_url": url}
        async with s3seal.aio.Session().client("s3", config=config, **kwargs) as s3:

            async def get(i: int) -> bytes:
                response = await s3.get_object(Bucket=bucket, Key=f"k{i % 4}")
                return await response["Body"].read()

            return await asyncio.gather(*(get(i) for i in range(32)))

    with FaultProxy(ministack.port) as proxy:
        bodies = asyncio.run(main(proxy.url))
        assert bodies == [b"x" * 100] * 32
        assert 1 <= proxy.connections <= 2


def test_sync_client_does_not_cap_connections_in_use(ministack) -> None:  # type: ignore[no-untyped-def]
    """botocore's urllib3 pool (block=False) opens more connections than max_pool_connections
    when more threads want one, and keeps only that many: no thread waits for another's."""
    bucket = make_bucket(ministack)
    barrier = threading.Barrier(6)
    with FaultProxy(ministack.port) as proxy:
        config = botocore.config.Config(max_pool_connections=1)
        client = s3seal.client(
            "s3", config=config, **{**ministack.client_kwargs(), "endpoint_url": proxy.url}
        )
        bodies: list[Any] = []

        def work() -> None:
            response = client.get_object(Bucket=bucket, Key="k0")
            # Every thread holds its response (its connection) until all have one.
            barrier.wait(timeout=30)
            bodies.append(response["Body"].read())

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bodies == [b"x" * 100] * 6
        assert proxy.connections == 6
