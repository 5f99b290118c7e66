"""s3seal.aio, aioboto3's shape: the async client on ministack (and Garage for SSE-C), with
aiobotocore (the engine of aioboto3's clients) run on the same server for parity.

Plain tests around ``asyncio.run``: no pytest plugin needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import s3seal
import s3seal.aio
from conftest import OTHER_KEY, SSE_KEY
from faults import FaultProxy
from s3seal import exceptions
from s3seal.aio import AioS3Client, AioStreamingBody
from test_parity import normalise

T = TypeVar("T")
SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
SSE_MODES = {
    "sse-s3": {"ServerSideEncryption": "AES256"},
    "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/s3seal-test-kms-key"},
    "sse-c": SSEC,
}


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


def aio_client(server: Any, **kwargs: Any) -> s3seal.aio.ClientCreatorContext[AioS3Client]:
    return s3seal.aio.Session().client("s3", **server.client_kwargs(), **kwargs)


def aiobotocore_client(server: Any) -> Any:
    aiobotocore_session = pytest.importorskip("aiobotocore.session")
    return aiobotocore_session.get_session().create_client("s3", **server.client_kwargs())


# --- the client ------------------------------------------------------------------------------


def test_every_operation_is_a_coroutine_from_the_op_table(ministack) -> None:
    from s3seal._ops import OPERATION_NAMES

    async def main() -> None:
        async with aio_client(ministack) as s3:
            assert isinstance(s3, AioS3Client)
            for method in OPERATION_NAMES:
                assert asyncio.iscoroutinefunction(getattr(s3, method)), method
            assert s3.meta.endpoint_url == ministack.url
            assert s3.meta.region_name == "us-east-1"
            assert s3.meta.service_model.service_name == "s3"
            assert s3.exceptions.NoSuchKey is exceptions.NoSuchKey
            with pytest.raises(TypeError, match="only accepts keyword arguments"):
                await s3.head_bucket("b")

    run(main)


def test_client_is_awaitable_and_module_level_client(ministack, mbucket) -> None:
    async def main() -> None:
        s3 = await aio_client(ministack)
        await s3.put_object(Bucket=mbucket, Key="a", Body=b"x")
        await s3.close()
        async with s3seal.aio.client("s3", **ministack.client_kwargs()) as s3b:
            assert (await s3b.head_object(Bucket=mbucket, Key="a"))["ContentLength"] == 1

    run(main)


@pytest.mark.parametrize("mode", sorted(SSE_MODES))
def test_round_trip_in_every_sse_mode(ministack, mbucket, mode: str) -> None:
    args = SSE_MODES[mode]
    read_args = args if mode == "sse-c" else {}
    data = os.urandom(100_000)

    async def main() -> tuple[dict[str, Any], dict[str, Any], bytes]:
        async with aio_client(ministack) as s3:
            put = await s3.put_object(Bucket=mbucket, Key=mode, Body=data, **args)
            head = await s3.head_object(Bucket=mbucket, Key=mode, **read_args)
            got = await s3.get_object(Bucket=mbucket, Key=mode, **read_args)
            async with got["Body"] as body:
                return put, head, await body.read()

    put, head, body = run(main)
    assert body == data
    sync = s3seal.client("s3", **ministack.client_kwargs())
    sync_head = sync.head_object(Bucket=mbucket, Key=mode, **read_args)
    assert normalise(head) == normalise(sync_head)
    if mode == "sse-c":
        assert put["SSECustomerAlgorithm"] == head["SSECustomerAlgorithm"] == "AES256"
    else:
        assert put["ServerSideEncryption"] == head["ServerSideEncryption"] == args["ServerSideEncryption"]


@pytest.mark.garage
def test_sse_c_round_trip_on_garage(garage) -> None:
    from conftest import make_bucket

    bucket = make_bucket(garage)

    async def main() -> bytes:
        async with aio_client(garage) as s3:
            await s3.put_object(Bucket=bucket, Key="c", Body=b"garage secret", **SSEC)
            with pytest.raises(exceptions.ClientError):
                await s3.get_object(Bucket=bucket, Key="c")
            body = (await s3.get_object(Bucket=bucket, Key="c", **SSEC))["Body"]
            return await body.read()

    assert run(main) == b"garage secret"


# --- parity with aiobotocore -------------------------------------------------------------


async def _outcome(call: Awaitable[dict[str, Any]]) -> tuple[str, Any]:
    try:
        result = await call
    except Exception as e:
        response = getattr(e, "response", None)
        return type(e).__name__, (str(e), normalise(response) if response else None)
    if "Body" in result:
        async with result["Body"] as body:
            result = {**result, "BodyBytes": await body.read()}
    return "ok", normalise(result)


def test_dicts_and_exceptions_match_aiobotocore(ministack, mbucket) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("put_object", {"Key": "p", "Body": b"parity", **SSEC}),
        ("put_object", {"Key": "q", "Body": b"kms", **SSE_MODES["sse-kms"]}),
        ("head_object", {"Key": "p", **SSEC}),
        ("get_object", {"Key": "p", **SSEC}),
        ("get_object", {"Key": "q"}),
        ("get_object", {"Key": "p"}),  # SSE-C object without the key
        ("get_object", {"Key": "p", "SSECustomerAlgorithm": "AES256", "SSECustomerKey": OTHER_KEY}),
        ("get_object", {"Key": "missing"}),
        ("head_object", {"Key": "missing"}),
        ("list_objects_v2", {}),
    ]

    async def results(client: Any) -> list[tuple[str, Any]]:
        async with client as s3:
            return [await _outcome(getattr(s3, op)(Bucket=mbucket, **kw)) for op, kw in calls]

    ours = run(lambda: results(aio_client(ministack)))
    theirs = run(lambda: results(aiobotocore_client(ministack)))
    for (op, _), mine, reference in zip(calls, ours, theirs, strict=True):
        assert mine == reference, op
    assert {kind for kind, _ in ours} >= {"ok", "NoSuchKey", "InvalidRequest", "ClientError"}


def _without(value: Any, text: str) -> Any:
    """`value` with every occurrence of `text` (a bucket name) in its strings replaced."""
    if isinstance(value, str):
        return value.replace(text, "<bucket>")
    if isinstance(value, dict):
        return {k: _without(v, text) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_without(v, text) for v in value)
    return value


async def _scenario(s3: Any, bucket: str) -> list[tuple[str, Any]]:
    """The main operations, errors, paginators and waiters, as one client does them in its
    own fresh bucket; every outcome (dict or exception class, message and response) kept."""
    out: list[tuple[str, Any]] = []

    async def rec(call: Awaitable[Any], ignore: tuple[str, ...] = ()) -> Any:
        try:
            result = await call
        except Exception as e:  # each library's own classes: compared by name, message, response
            response = getattr(e, "response", None)
            out.append((type(e).__name__, (str(e), normalise(response, ignore) if response else None)))
            return None
        if isinstance(result, dict) and "Body" in result:
            async with result["Body"] as body:
                result = {**result, "BodyBytes": await body.read()}
        out.append(("ok", normalise(result, ignore=("UploadId",))))
        return result

    b, kms = bucket, SSE_MODES["sse-kms"]
    await rec(s3.put_object(Bucket=b, Key="c", Body=b"customer key", **SSEC))
    await rec(s3.put_object(Bucket=b, Key="k", Body=b"kms", **kms))
    await rec(
        s3.put_object(
            Bucket=b, Key="p/1", Body=b"plain", Metadata={"a": "b"}, ContentType="text/x", Tagging="t=1"
        )
    )
    await rec(s3.put_object(Bucket=b, Key="p/2", Body=b"", ServerSideEncryption="AES256"))
    await rec(s3.head_object(Bucket=b, Key="c", **SSEC))
    # An SSE-C object without its key. Known divergence (test_parity): after a HEAD 400
    # botocore re-sends the HEAD for the bucket's region even when it is unchanged.
    await rec(s3.head_object(Bucket=b, Key="c"), ignore=("RetryAttempts",))
    await rec(s3.get_object(Bucket=b, Key="c", Range="bytes=2-5", **SSEC))
    await rec(s3.get_object(Bucket=b, Key="c", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY))
    await rec(s3.get_object(Bucket=b, Key="k"))
    await rec(
        s3.copy_object(
            Bucket=b,
            Key="copy",
            CopySource={"Bucket": b, "Key": "c"},
            CopySourceSSECustomerAlgorithm="AES256",
            CopySourceSSECustomerKey=SSE_KEY,
            ServerSideEncryption="AES256",
        )
    )
    await rec(s3.get_object_tagging(Bucket=b, Key="p/1"))
    await rec(s3.put_object_tagging(Bucket=b, Key="p/1", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]}))
    await rec(s3.get_object_tagging(Bucket=b, Key="p/1"))
    created = await rec(s3.create_multipart_upload(Bucket=b, Key="m", **SSEC))
    upload = {"Bucket": b, "Key": "m", "UploadId": created["UploadId"], **SSEC}
    part1 = await rec(s3.upload_part(PartNumber=1, Body=b"1" * (5 * 1024 * 1024), **upload))
    part2 = await rec(s3.upload_part(PartNumber=2, Body=b"2" * 100, **upload))
    await rec(s3.list_parts(Bucket=b, Key="m", UploadId=created["UploadId"]))
    parts = [{"PartNumber": n, "ETag": p["ETag"]} for n, p in ((1, part1), (2, part2))]
    await rec(
        s3.complete_multipart_upload(
            Bucket=b, Key="m", UploadId=created["UploadId"], MultipartUpload={"Parts": parts}
        )
    )
    await rec(s3.head_object(Bucket=b, Key="m", PartNumber=1, **SSEC))
    aborted = await rec(s3.create_multipart_upload(Bucket=b, Key="gone"))
    await rec(s3.abort_multipart_upload(Bucket=b, Key="gone", UploadId=aborted["UploadId"]))
    await rec(s3.list_multipart_uploads(Bucket=b))
    await rec(s3.list_objects_v2(Bucket=b, Prefix="p/", Delimiter="/"))
    await rec(s3.list_objects_v2(Bucket=b, Delimiter="/"))
    await rec(s3.list_objects(Bucket=b, MaxKeys=2))
    await rec(s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "copy"}, {"Key": "nothing"}]}))
    await rec(s3.delete_object(Bucket=b, Key="nothing"))
    await rec(s3.head_bucket(Bucket=b))
    await rec(s3.get_bucket_encryption(Bucket=b))
    # Errors: missing bucket and key, a non-empty bucket, client-side validation.
    await rec(s3.get_object(Bucket=b + "-missing", Key="x"))
    await rec(s3.head_bucket(Bucket=b + "-missing"))
    await rec(s3.get_object(Bucket=b, Key="nothing"))
    await rec(s3.delete_bucket(Bucket=b))
    await rec(s3.put_object(Bucket=b, Key="x", Body=b"", ContentLength="ten"))
    await rec(s3.put_object(Bucket=b, Key="x", Bogus=1))
    await rec(s3.list_objects_v2(Bucket=b, MaxKeys=-1))
    # Paginators: pages, MaxItems/StartingToken, search.
    paginator = s3.get_paginator("list_objects_v2")
    pages = [normalise(p) async for p in paginator.paginate(Bucket=b, PaginationConfig={"PageSize": 2})]
    out.append(("pages", pages))
    limited = await paginator.paginate(Bucket=b, PaginationConfig={"MaxItems": 3}).build_full_result()
    out.append(("full", normalise(limited)))
    out.append(("search", [k async for k in paginator.paginate(Bucket=b).search("Contents[].Size")]))
    # Waiters: one that is met at once, one that gives up.
    out.append(("waited", normalise(await s3.get_waiter("object_exists").wait(Bucket=b, Key="p/1"))))
    try:
        await s3.get_waiter("object_not_exists").wait(
            Bucket=b, Key="p/1", WaiterConfig={"Delay": 0, "MaxAttempts": 2}
        )
    except Exception as e:
        out.append((type(e).__name__, (str(e), normalise(e.last_response))))
    return out


def test_main_operations_errors_paginators_and_waiters_match_aiobotocore(ministack) -> None:
    from conftest import make_bucket

    ours_bucket, theirs_bucket = make_bucket(ministack), make_bucket(ministack)

    async def results(client: Any, bucket: str) -> list[tuple[str, Any]]:
        async with client as s3:
            return _without(await _scenario(s3, bucket), bucket)  # type: ignore[no-any-return]

    ours = run(lambda: results(aio_client(ministack), ours_bucket))
    theirs = run(lambda: results(aiobotocore_client(ministack), theirs_bucket))
    assert len(ours) == len(theirs)
    for i, (mine, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert mine == reference, f"step {i}"
    kinds = {kind for kind, _ in ours}
    assert kinds >= {"ok", "ClientError", "NoSuchKey", "NoSuchBucket", "ParamValidationError", "WaiterError"}


@pytest.mark.garage
def test_presigned_url_and_post_match_aiobotocore_s3v4(garage) -> None:
    """Presigning against aiobotocore with SigV4 (botocore presigns SigV2 for us-east-1 on a
    custom endpoint, a documented divergence), on Garage, which checks signatures: the same
    URL but for the date and signature, both URLs fetch the object, the same POST fields."""
    import re
    import urllib.request

    from conftest import make_bucket

    aioconfig = pytest.importorskip("aiobotocore.config")
    aiosession = pytest.importorskip("aiobotocore.session")
    bucket = make_bucket(garage)
    params = {"Bucket": bucket, "Key": "pre sign/ü"}
    s3seal.client("s3", **garage.client_kwargs()).put_object(**params, Body=b"presigned body")

    async def presign(client: Any) -> tuple[str, dict[str, Any]]:
        async with client as s3:
            url = await s3.generate_presigned_url("get_object", Params=params, ExpiresIn=120)
            post = await s3.generate_presigned_post(
                bucket, "form/${filename}", Conditions=[["content-length-range", 1, 100]], ExpiresIn=60
            )
            return url, post

    theirs_client = aiosession.get_session().create_client(
        "s3", config=aioconfig.AioConfig(signature_version="s3v4"), **garage.client_kwargs()
    )
    url, post = run(lambda: presign(aio_client(garage)))
    ref_url, ref_post = run(lambda: presign(theirs_client))
    volatile = re.compile(r"X-Amz-(Date|Signature|Credential)=[^&]*")
    assert volatile.sub("", url) == volatile.sub("", ref_url)
    for u in (url, ref_url):
        with urllib.request.urlopen(u, timeout=10) as response:
            assert response.read() == b"presigned body"
    assert post["url"] == ref_post["url"]
    assert set(post["fields"]) == set(ref_post["fields"])
    same = {"key", "x-amz-algorithm"}
    assert {k: post["fields"][k] for k in same} == {k: ref_post["fields"][k] for k in same}


# --- the streaming body ------------------------------------------------------------------------


def test_streaming_body_reads_chunks_lines_and_iterates(ministack, mbucket) -> None:
    text = b"".join(b"line %d\n" % i for i in range(500))

    async def main() -> None:
        async with aio_client(ministack) as s3:
            await s3.put_object(Bucket=mbucket, Key="t", Body=text, **SSEC)

            async def body() -> AioStreamingBody:
                got = await s3.get_object(Bucket=mbucket, Key="t", **SSEC)
                return got["Body"]

            b = await body()
            assert isinstance(b, AioStreamingBody)
            assert await b.read(5) == b"line "
            assert b.tell() == 5
            assert await b.read() == text[5:]
            assert await b.read() == b""
            chunks = [c async for c in (await body()).iter_chunks(1000)]
            assert b"".join(chunks) == text and {len(c) for c in chunks[:-1]} == {1000}
            lines = [line async for line in (await body()).iter_lines(100)]
            assert lines == text.splitlines()
            assert b"".join([c async for c in await body()]) == text  # 1 KiB chunks
            async with await body() as stream:
                assert (await stream.read(4)) == b"line"
            assert stream.closed
            with pytest.raises(TypeError, match="async"):
                iter(await body())

    run(main)


def test_small_bodies_around_the_landing_limit_read_back_whole(ministack, mbucket) -> None:
    """Bodies up to 64 KiB land in a bytes object made before the call (src/body.rs,
    ``Landing``), larger ones stream: each read gives its own body, with several in flight."""
    sizes = [0, 1, 65535, 65536, 65537]
    data = {n: os.urandom(n) for n in sizes}

    async def main() -> None:
        async with aio_client(ministack) as s3:
            for n, d in data.items():
                await s3.put_object(Bucket=mbucket, Key=f"l{n}", Body=d)
            gets = await asyncio.gather(*(s3.get_object(Bucket=mbucket, Key=f"l{n}") for n in sizes))
            for n, got in reversed(list(zip(sizes, gets, strict=True))):
                assert await got["Body"].read() == data[n]
            got = await s3.get_object(Bucket=mbucket, Key="l65536")
            assert await got["Body"].read(3) + await got["Body"].read() == data[65536]

    run(main)


def test_streaming_body_checks_content_length() -> None:
    class ShortStream:
        def __init__(self) -> None:
            self.closed = False
            self.parts = [b"abc", b""]

        def _read_now(self, amt: int | None = None) -> bytes | None:
            return None  # nothing in memory: every read is awaited

        async def _read_async(self, amt: int | None = None) -> bytes:
            return self.parts.pop(0)

        def close(self) -> None:
            self.closed = True

    async def main() -> None:
        body = AioStreamingBody(ShortStream(), 10)
        with pytest.raises(exceptions.IncompleteReadError) as err:
            await body.read()
        assert "3" in str(err.value) and "10" in str(err.value)

    run(main)


# --- concurrency, cancellation, fork, uvloop ---------------------------------------------------


def _gets_per_second(client: Any, bucket: str, n: int) -> tuple[float, list[bytes]]:
    async def main() -> tuple[float, list[bytes]]:
        async with client as s3:

            async def one(i: int) -> bytes:
                got = await s3.get_object(Bucket=bucket, Key=f"c{i % 16}", **SSEC)
                async with got["Body"] as body:
                    return await body.read()  # type: ignore[no-any-return]

            start = time.perf_counter()
            bodies = await asyncio.gather(*(one(i) for i in range(n)))
            return n / (time.perf_counter() - start), bodies

    return run(main)


def test_1000_concurrent_sse_c_gets_are_all_correct(ministack, mbucket) -> None:
    payloads = {i: hashlib.sha256(b"%d" % i).digest() * 64 for i in range(16)}  # 2 KiB each
    sync = s3seal.client("s3", **ministack.client_kwargs())
    for i, data in payloads.items():
        sync.put_object(Bucket=mbucket, Key=f"c{i}", Body=data, **SSEC)
    rate, bodies = _gets_per_second(aio_client(ministack), mbucket, 1000)
    assert bodies == [payloads[i % 16] for i in range(1000)]
    print(f"\ns3seal.aio: 1000 concurrent SSE-C GETs at {rate:.0f} ops/s")
    # aiobotocore slows to ~20 ops/s at 1000 in flight here: compared at 200 to bound the runtime.
    try:
        ref_rate, ref_bodies = _gets_per_second(aiobotocore_client(ministack), mbucket, 200)
    except pytest.skip.Exception:
        return
    assert ref_bodies == bodies[:200]
    rate, _ = _gets_per_second(aio_client(ministack), mbucket, 200)
    print(
        f"200 concurrent: s3seal.aio {rate:.0f} ops/s, aiobotocore (aioboto3's client) {ref_rate:.0f} ops/s"
    )


def test_cancelled_request_returns_promptly_and_drops_the_connection() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepted by the kernel, never answered
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = s3seal.Config(read_timeout=120, retries={"total_max_attempts": 1})

    async def main() -> float:
        session = s3seal.aio.Session(
            aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
        )
        async with session.client("s3", endpoint_url=url, config=config) as s3:
            start = time.monotonic()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(s3.get_object(Bucket="b", Key="k"), 0.5)
            return time.monotonic() - start

    try:
        assert run(main) < 2.0
        conn, _ = listener.accept()
        conn.settimeout(5)
        received = b""
        while chunk := conn.recv(65536):  # the client hung up: recv ends instead of timing out
            received += chunk
        assert received.startswith(b"GET /b/k")
        conn.close()
    finally:
        listener.close()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_results_reach_each_loop_and_loops_in_turn_leave_no_descriptors(ministack, mbucket) -> None:
    # Each event loop is woken through its own eventfd. asyncio.run in a loop (a new loop each
    # time), and two loops taking turns on one thread, must each get their own results, and
    # finished loops must not leave their descriptors behind.
    data = {f"turns/{i}": os.urandom(100 + i) for i in range(4)}
    with s3seal.client("s3", **ministack.client_kwargs()) as sync:
        for key, body in data.items():
            sync.put_object(Bucket=mbucket, Key=key, Body=body)

    async def fetch(key: str) -> bytes:
        async with aio_client(ministack) as s3:
            response = await s3.get_object(Bucket=mbucket, Key=key)
            return await response["Body"].read()

    assert run(lambda: fetch("turns/0")) == data["turns/0"]
    gc.collect()
    before = _open_fds()
    for i in range(30):
        key = f"turns/{i % 4}"
        assert run(lambda key=key: fetch(key)) == data[key]
    gc.collect()
    assert _open_fds() - before <= 3

    async def both(key: str) -> list[bytes]:
        return list(await asyncio.gather(fetch(key), fetch("turns/3")))

    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        for i in range(6):
            loop = first if i % 2 else second
            key = f"turns/{i % 4}"
            got = loop.run_until_complete(both(key))
            assert got == [data[key], data["turns/3"]]
    finally:
        first.close()
        second.close()


def test_forked_child_runs_coroutines_after_the_parent_used_the_client(ministack, mbucket) -> None:
    import multiprocessing

    async def put_get(client: AioS3Client, key: str) -> bytes:
        await client.put_object(Bucket=mbucket, Key=key, Body=key.encode(), **SSEC)
        return await (await client.get_object(Bucket=mbucket, Key=key, **SSEC))["Body"].read()  # type: ignore[no-any-return]

    client = run(lambda: _create(ministack))
    assert run(lambda: put_get(client, "parent")) == b"parent"

    def child() -> None:
        os._exit(0 if asyncio.run(put_get(client, "child")) == b"child" else 1)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert (
        s3seal.client("s3", **ministack.client_kwargs())
        .get_object(Bucket=mbucket, Key="child", **SSEC)["Body"]
        .read()
        == b"child"
    )


async def _create(server: Any) -> AioS3Client:
    return await aio_client(server)


def test_uvloop(ministack, mbucket) -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> bytes:
        assert "uvloop" in type(asyncio.get_running_loop()).__module__
        async with aio_client(ministack) as s3:
            await s3.put_object(Bucket=mbucket, Key="uv", Body=b"on uvloop", **SSEC)

            async def get() -> bytes:
                # Each body read before the coroutine ends: an unread body holds its connection,
                # and with max_pool_connections (10) capping the connections, 50 unread bodies
                # would wait on each other (aiobotocore's connector limit behaves the same).
                response = await s3.get_object(Bucket=mbucket, Key="uv", **SSEC)
                async with response["Body"] as body:
                    return await body.read()  # type: ignore[no-any-return]

            return b"".join(await asyncio.gather(*(get() for _ in range(50))))

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == b"on uvloop" * 50


# --- paginators, waiters, presigning ------------------------------------------------------------


def test_paginator_pages_search_and_full_result(ministack, mbucket) -> None:
    async def main() -> None:
        async with aio_client(ministack) as s3:
            await asyncio.gather(
                *(s3.put_object(Bucket=mbucket, Key=f"p{i:02}", Body=b"x") for i in range(25))
            )
            paginator = s3.get_paginator("list_objects_v2")
            assert type(paginator).__name__ == "S3.Paginator.ListObjectsV2"
            pages = [p async for p in paginator.paginate(Bucket=mbucket, PaginationConfig={"PageSize": 10})]
            assert [len(p["Contents"]) for p in pages] == [10, 10, 5]
            keys = [k async for k in paginator.paginate(Bucket=mbucket).search("Contents[].Key")]
            assert keys == [f"p{i:02}" for i in range(25)]
            limited = paginator.paginate(Bucket=mbucket, PaginationConfig={"MaxItems": 12, "PageSize": 10})
            full = await limited.build_full_result()
            assert len(full["Contents"]) == 12 and "NextToken" in full
            # The token resumes in the sync paginator too (botocore's opaque format).
            sync = s3seal.client("s3", **ministack.client_kwargs()).get_paginator("list_objects_v2")
            rest = sync.paginate(Bucket=mbucket, PaginationConfig={"StartingToken": full["NextToken"]})
            assert len(rest.build_full_result()["Contents"]) == 13

    run(main)


def test_waiters(ministack, mbucket) -> None:
    async def main() -> None:
        async with aio_client(ministack) as s3:
            waiter = s3.get_waiter("object_exists")
            assert type(waiter).__name__ == "S3.Waiter.ObjectExists"

            async def put_later() -> None:
                await asyncio.sleep(0.3)
                await s3.put_object(Bucket=mbucket, Key="w", Body=b"x")

            putter = asyncio.create_task(put_later())
            await waiter.wait(Bucket=mbucket, Key="w", WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
            await putter
            with pytest.raises(exceptions.WaiterError, match="Max attempts exceeded"):
                await s3.get_waiter("object_not_exists").wait(
                    Bucket=mbucket, Key="w", WaiterConfig={"Delay": 0, "MaxAttempts": 2}
                )
            with pytest.raises(ValueError, match="Waiter does not exist"):
                s3.get_waiter("nope")

    run(main)


def test_presigned_url_and_post_are_awaitable_and_match_the_sync_client(ministack, mbucket) -> None:
    import re

    params = {"Bucket": mbucket, "Key": "pre", **SSEC}

    async def main() -> tuple[str, dict[str, Any]]:
        async with aio_client(ministack) as s3:
            url = await s3.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
            return url, await s3.generate_presigned_post(mbucket, "form")

    url, post = run(main)
    sync = s3seal.client("s3", **ministack.client_kwargs())
    expected = sync.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    unsigned = re.compile(r"X-Amz-(Date|Signature|Credential)=[^&]*")
    assert unsigned.sub("", url) == unsigned.sub("", expected)
    assert url.startswith(f"{ministack.url}/{mbucket}/pre?") and "SSECustomerKey" not in url
    reference = sync.generate_presigned_post(mbucket, "form")
    assert post["url"] == reference["url"] and set(post["fields"]) == set(reference["fields"])


# --- transfers -----------------------------------------------------------------------------------

SMALL_PARTS = s3seal.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)


def test_transfers_round_trip_with_extra_args_callback_and_config(ministack, mbucket, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.write_bytes(os.urandom(11 * 1024 * 1024))
    progress: list[int] = []

    async def main() -> None:
        async with aio_client(ministack) as s3:
            await s3.upload_file(
                source, mbucket, "big", ExtraArgs=SSEC, Callback=progress.append, Config=SMALL_PARTS
            )
            head = await s3.head_object(Bucket=mbucket, Key="big", **SSEC)
            assert head["ETag"].endswith('-3"') and head["SSECustomerAlgorithm"] == "AES256"
            await s3.download_file(mbucket, "big", str(tmp_path / "down"), ExtraArgs=SSEC, Config=SMALL_PARTS)
            await s3.copy(
                {"Bucket": mbucket, "Key": "big"},
                mbucket,
                "copied",
                ExtraArgs={"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": SSE_KEY},
                SourceClient=s3,
            )
            with open(source, "rb") as f:
                await s3.upload_fileobj(f, mbucket, "fileobj", ExtraArgs=SSE_MODES["sse-kms"])
            with open(tmp_path / "fileobj", "wb") as f:
                await s3.download_fileobj(mbucket, "fileobj", f)
            with pytest.raises(ValueError, match="Invalid extra_args key"):
                await s3.upload_file(source, mbucket, "x", ExtraArgs={"Bogus": 1})
            with pytest.raises(exceptions.S3UploadFailedError):
                await s3.upload_file(source, "no-such-bucket-h12", "x")
            assert await s3seal.aio.download(Bucket=mbucket, Key="copied", client=s3) == source.read_bytes()

    run(main)
    assert sum(progress) == source.stat().st_size
    assert (tmp_path / "down").read_bytes() == source.read_bytes()
    assert (tmp_path / "fileobj").read_bytes() == source.read_bytes()


def test_transfers_with_async_file_objects(ministack, mbucket, tmp_path: Path) -> None:
    aiofiles = pytest.importorskip("aiofiles")
    data = os.urandom(6 * 1024 * 1024)
    (tmp_path / "src").write_bytes(data)

    async def main() -> None:
        async with aio_client(ministack) as s3:
            async with aiofiles.open(tmp_path / "src", "rb") as f:
                await s3seal.aio.upload(
                    Bucket=mbucket, Key="af", Fileobj=f, client=s3, Config=SMALL_PARTS, **SSEC
                )
            async with aiofiles.open(tmp_path / "dst", "wb") as f:
                await s3seal.aio.download(Bucket=mbucket, Key="af", Fileobj=f, client=s3, **SSEC)

    run(main)
    assert (tmp_path / "dst").read_bytes() == data


def test_many_transfers_run_at_once(ministack, mbucket, tmp_path: Path) -> None:
    """A gather of 12 uploads has all 12 moving bytes together: each one's first progress
    callback waits (in s3seal's progress thread) until all 12 have reached it. They once
    queued for the loop's default executor (6 threads on 2 cores): the barrier broke."""
    source = tmp_path / "src"
    source.write_bytes(os.urandom(1024 * 1024))
    barrier = threading.Barrier(12, timeout=30)

    def upload(s3: AioS3Client, i: int) -> Awaitable[None]:
        first = [True]

        def progress(amount: int) -> None:
            if first[0]:
                first[0] = False
                barrier.wait()

        return s3.upload_file(source, mbucket, f"many/{i}", Callback=progress)

    async def main() -> None:
        async with aio_client(ministack) as s3:
            await asyncio.gather(*(upload(s3, i) for i in range(12)))

    run(main)
    assert not barrier.broken


# When a transfer is cancelled: at once (before the worker thread runs), once bytes have
# moved, after a delay drawn (seeded) well within the throttled transfer's ~4 s, or by an
# `asyncio.wait_for` timeout drawn the same way.
_RNG = random.Random(12)
CANCEL_MOMENTS = [
    "at-once",
    "after-progress",
    *(f"after-{_RNG.uniform(0.05, 1.0):.2f}s" for _ in range(3)),
    f"wait_for-{_RNG.uniform(0.05, 1.0):.2f}s",
]


async def _cancel_during(moment: str, start: Callable[[Callable[[int], None]], Awaitable[None]]) -> None:
    """Start a transfer, cancel it at ``moment``, check it ends cancelled (or timed out) and
    that the event loop was never blocked meanwhile, cleanup included."""
    loop = asyncio.get_running_loop()
    moved = asyncio.Event()

    def progress(amount: int) -> None:
        loop.call_soon_threadsafe(moved.set)

    async with LagMonitor() as monitor:
        if moment.startswith("wait_for-"):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    start(progress), float(moment.removeprefix("wait_for-").removesuffix("s"))
                )
        else:
            task = asyncio.create_task(start(progress))
            if moment == "after-progress":
                await moved.wait()
            elif moment != "at-once":
                await asyncio.sleep(float(moment.removeprefix("after-").removesuffix("s")))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    # Never blocked: waiting for the worker thread or its cleanup on the loop would stall it
    # for the rest of the transfer (seconds). The bound is 50 ms, not the 10 ms of the 1 GiB
    # test: on the shared machine here single ticks of 11-12 ms came up in these short runs.
    assert [lag for lag in monitor.blocked if lag > 0.050] == [], monitor.summary()


SLOW = s3seal.TransferConfig(
    multipart_threshold=5 * 1024 * 1024,
    multipart_chunksize=5 * 1024 * 1024,
    max_concurrency=1,
    max_bandwidth=8 * 1024 * 1024,
)


@pytest.mark.parametrize("moment", CANCEL_MOMENTS)
def test_cancelled_upload_leaves_no_multipart_upload(ministack, mbucket, tmp_path: Path, moment: str) -> None:
    source = tmp_path / "src"
    source.write_bytes(os.urandom(30 * 1024 * 1024))

    async def main() -> None:
        async with aio_client(ministack) as s3:
            await _cancel_during(
                moment, lambda cb: s3.upload_file(source, mbucket, "cancelled", Callback=cb, Config=SLOW)
            )
            uploads = await s3.list_multipart_uploads(Bucket=mbucket)
            assert uploads.get("Uploads", []) == []
            with pytest.raises(exceptions.ClientError):
                await s3.head_object(Bucket=mbucket, Key="cancelled")

    run(main)


@pytest.mark.parametrize("moment", CANCEL_MOMENTS)
def test_cancelled_download_keeps_the_old_file_and_no_temp_file(
    ministack, mbucket, tmp_path: Path, moment: str
) -> None:
    s3seal.client("s3", **ministack.client_kwargs()).put_object(
        Bucket=mbucket, Key="large", Body=os.urandom(30 * 1024 * 1024), **SSEC
    )
    target = tmp_path / "target"
    target.write_bytes(b"the old content")

    async def main() -> None:
        async with aio_client(ministack) as s3:
            await _cancel_during(
                moment,
                lambda cb: s3.download_file(
                    mbucket, "large", str(target), ExtraArgs=SSEC, Callback=cb, Config=SLOW
                ),
            )

    run(main)
    assert target.read_bytes() == b"the old content"
    assert [p.name for p in tmp_path.iterdir()] == ["target"]


def test_cancelled_upload_stops_while_the_server_hangs(ministack, mbucket, tmp_path: Path) -> None:
    # The transfer runs in a worker thread and also stops when its progress callback raises,
    # but while the server hangs no bytes move and the callback is never called: the task's
    # cancellation must reach the engine itself, drop the hung request and abort the upload,
    # long before the read timeout (120 s here).
    source = tmp_path / "src"
    source.write_bytes(os.urandom(16 * 1024 * 1024))
    parts = s3seal.TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=1
    )
    config = s3seal.Config(read_timeout=120, retries={"total_max_attempts": 1})
    with FaultProxy(ministack.port) as proxy:
        # The server stops answering in the first part, whatever the machine's speed.
        proxy.hang_after(1024 * 1024)

        async def main() -> float:
            kwargs = {**ministack.client_kwargs(), "endpoint_url": proxy.url, "config": config}
            async with s3seal.aio.Session().client("s3", **kwargs) as s3:
                task = asyncio.create_task(
                    s3.upload_file(str(source), mbucket, "hung", Callback=lambda _: None, Config=parts)
                )
                assert await asyncio.to_thread(proxy.hung.wait, 30), "the upload never started"
                await asyncio.sleep(1.0)  # the upload now waits on a connection that hangs
                assert not task.done()
                cancelled_at = time.monotonic()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                return time.monotonic() - cancelled_at

        took = run(main)
    assert took < 10, took
    direct = s3seal.client("s3", **ministack.client_kwargs())
    uploads = direct.list_multipart_uploads(Bucket=mbucket).get("Uploads", [])
    assert [u for u in uploads if u["Key"] == "hung"] == []
    with pytest.raises(exceptions.ClientError):
        direct.head_object(Bucket=mbucket, Key="hung")


class LagMonitor:
    """Ticks on the event loop every millisecond and records how late each tick wakes up.

    A tick can be late because the loop was blocked (code running on its thread, or the GIL
    held by another thread: what this monitor is for) or because the kernel had no CPU to
    give (other processes: on a shared 2-core machine, tens of ms). The kernel's schedstat
    counts, per thread, the time spent runnable but waiting in the run queue; `blocked` is a
    tick's lag minus the longest such wait of any of the process's threads during it (the
    loop thread itself, or a thread that was holding the GIL when it was preempted)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.blocked: list[float] = []
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def _queued() -> dict[str, int]:
        """Run-queue wait (ns) so far of each thread of this process."""
        out = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat", "rb") as f:
                    out[tid] = int(f.read().split()[1])
            except (OSError, IndexError, ValueError):  # the thread just ended
                pass
        return out

    async def _tick(self) -> None:
        while True:
            waited = self._queued()  # read before the tick starts: its cost is not lag
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = time.perf_counter() - before - 0.001
            after = self._queued()
            preempted = max((ns - waited.get(tid, 0) for tid, ns in after.items()), default=0) / 1e9
            self.lags.append(lag)
            self.blocked.append(lag - preempted)

    async def __aenter__(self) -> LagMonitor:
        # A collection of the test process's garbage is the interpreter's pause, on whichever
        # thread triggers it: not measured here.
        gc.collect()
        gc.disable()
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        gc.enable()

    def summary(self) -> str:
        def ms(values: list[float]) -> str:
            v = sorted(values)
            return f"p50 {v[len(v) // 2] * 1e3:.2f} ms, p99 {v[int(len(v) * 0.99)] * 1e3:.2f} ms, worst {v[-1] * 1e3:.1f} ms"

        return f"{len(self.lags)} ticks; lag {ms(self.lags)}; minus run-queue wait {ms(self.blocked)}"


def test_lag_monitor_sees_a_blocked_loop_and_a_held_gil() -> None:
    """The monitor below is not blind: a blocking call on the loop and a worker thread holding
    the GIL (one long C call, which never offers it back) both show as blocked ticks."""

    def hold_gil() -> int:
        deadline = time.perf_counter() + 0.5
        n = 0
        while time.perf_counter() < deadline:
            n += sum(range(5_000_000))  # ~50-100 ms per call with the GIL held throughout
        return n

    async def main() -> LagMonitor:
        async with LagMonitor() as monitor:
            await asyncio.sleep(0.05)
            time.sleep(0.03)  # the loop blocked on the loop thread
            await asyncio.sleep(0.05)
            await asyncio.to_thread(hold_gil)
        return monitor

    monitor = run(main)
    blocked = [lag for lag in monitor.blocked if lag > 0.010]
    assert len(blocked) >= 2, monitor.summary()  # the sleep, and the GIL
    assert max(blocked) >= 0.025


@pytest.mark.garage
@pytest.mark.slow
def test_event_loop_does_not_stall_during_a_1_gib_transfer(garage, tmp_path: Path) -> None:
    """A 1 GiB SSE-C upload_file then download_file on Garage (what test_transfer_faults uses for
    its 1 GiB round trip), awaited while a monitor ticks on the loop, each tick's lag counted
    once the time the kernel kept the threads waiting for a CPU is taken off (see LagMonitor;
    the raw lag is printed too). The ticks keep running through the transfer (thousands of
    them), so a loop blocked on I/O or a GIL held for long stretches would show."""
    from conftest import make_bucket

    bucket = make_bucket(garage)
    source, back = tmp_path / "src", tmp_path / "back"
    with source.open("wb") as f:
        for _ in range(64):
            f.write(os.urandom(16 * 1024 * 1024))

    async def main() -> tuple[LagMonitor, float]:
        async with aio_client(garage) as s3, LagMonitor() as monitor:
            start = time.perf_counter()
            await s3.upload_file(str(source), bucket, "lag", ExtraArgs=SSEC)
            await s3.download_file(bucket, "lag", str(back), ExtraArgs=SSEC)
            return monitor, time.perf_counter() - start

    monitor, seconds = run(main)
    print(f"\n1 GiB SSE-C upload + download in {seconds:.1f} s: {monitor.summary()}")
    assert back.stat().st_size == source.stat().st_size == 1 << 30
    with source.open("rb") as a, back.open("rb") as b:
        while chunk := a.read(64 * 1024 * 1024):
            assert chunk == b.read(64 * 1024 * 1024)
    assert len(monitor.lags) > seconds * 100  # the monitor really ran during the transfer
    # Blocking the loop the way a library does (I/O on it, the GIL held per chunk, waiting on
    # a thread) stalls it again and again, once per part or chunk at least: 256 parts and
    # ranges here. So at most 1 tick in 250 over 10 ms (8 of ~2,000), none over 100 ms.
    # Isolated longer ticks do come up on this shared 2-core machine (load 7 to 16, 1 to 3
    # ticks of 11-51 ms in some runs, none in others; a plain file copy without s3seal showed
    # 11 ms), which the run-queue figure cannot explain: the bound lets those through. It was
    # 1 in 1,000 until a fresh-clone CI run at 0a0f6a2 (a change to benches/ only) had 3
    # isolated ticks of 24-34 ms in 2,013.
    stalls = [lag for lag in monitor.blocked if lag > 0.010]
    assert len(stalls) <= len(monitor.blocked) / 250, monitor.summary()
    assert max(monitor.blocked) < 0.100, monitor.summary()


# --- the seeds, in aioboto3's form --------------------------------------------------------------


def _run_seed(script: str, cwd: Path, ministack: Any, extra_config: str = "") -> None:
    import shutil
    import subprocess
    import sys

    from conftest import ROOT, SECRETS

    shutil.copy(ROOT / "tests" / "seeds" / script, cwd / script)
    (cwd / "config").write_text(
        f"[default]\naws_access_key_id = {ministack.access_key}\n"
        f"aws_secret_access_key = {ministack.secret_key}\nregion = us-east-1\nendpoint_url = {ministack.url}\n"
        + extra_config
    )
    env = {**os.environ, "AWS_CONFIG_FILE": str(cwd / "config"), "PYTHONPATH": str(ROOT / "python")}
    done = subprocess.run([sys.executable, script], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not any(s in done.stdout + done.stderr for s in SECRETS)


def test_korean_seed_in_aioboto3_form(ministack, tmp_path: Path) -> None:
    sync = s3seal.client("s3", **ministack.client_kwargs())
    try:
        sync.create_bucket(Bucket="bucket-name")
    except exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    content = os.urandom(9 * 1024 * 1024)
    (tmp_path / "file.txt").write_bytes(content)
    _run_seed("aio_upload_s3_with_kms.py", tmp_path, ministack)
    head = sync.head_object(Bucket="bucket-name", Key="file.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith("kms-key-id")
    assert s3seal.download(Bucket="bucket-name", Key="file.txt", client=sync) == content


def test_japanese_seed_in_aioboto3_form(ministack, mbucket, tmp_path: Path) -> None:
    pytest.importorskip("dotenv")
    from conftest import SSE_KEY_B64, SSE_KEY_MD5

    image = os.urandom(50_000)
    (tmp_path / "sample.jpg").write_bytes(image)
    (tmp_path / "tmp").mkdir()
    (tmp_path / ".env").write_text(
        f"BUCKET_NAME='{mbucket}'\nKEY='sample.jpg'\n"
        f"SSE_CUSTOMER_KEY_BASE64='{SSE_KEY_B64}'\nSSE_CUSTOMER_KEY_MD5='{SSE_KEY_MD5}'\nPROFILE='default'\n"
    )
    _run_seed("aio_put_get_sse_c.py", tmp_path, ministack)
    (downloaded,) = (tmp_path / "tmp").iterdir()
    assert downloaded.read_bytes() == image


def test_events_fire_around_async_calls(ministack, mbucket) -> None:
    seen: list[str] = []

    def record(event_name: str, **kwargs: Any) -> None:
        seen.append(event_name.split(".")[0])

    def add_metadata(params: dict[str, Any], **kwargs: Any) -> None:
        params.setdefault("Metadata", {})["via"] = "event"

    async def main() -> dict[str, Any]:
        async with aio_client(ministack) as s3:
            for event in ("provide-client-params", "before-call", "before-sign", "before-send", "after-call"):
                s3.meta.events.register(f"{event}.s3.PutObject", record)
            s3.meta.events.register("before-parameter-build.s3.PutObject", add_metadata)
            s3.meta.events.register("after-call.s3.HeadObject", record)
            await s3.put_object(Bucket=mbucket, Key="ev", Body=b"x")
            with pytest.raises(exceptions.ClientError):
                await s3.head_object(Bucket=mbucket, Key="missing")
            return await s3.head_object(Bucket=mbucket, Key="ev")

    head = run(main)
    assert seen[:6] == [
        "provide-client-params",
        "before-call",
        "before-sign",
        "before-send",
        "after-call",
        "after-call",
    ]
    assert head["Metadata"] == {"via": "event"}


# --- resources -----------------------------------------------------------------------------------


def test_resource_api_in_aioboto3_form(ministack, mbucket) -> None:
    async def main() -> None:
        async with s3seal.aio.Session().resource("s3", **ministack.client_kwargs()) as s3:
            assert isinstance(s3.meta.client, AioS3Client)
            bucket = await s3.Bucket(mbucket)
            obj = await s3.Object(mbucket, "r/1")
            put = await obj.put(Body=b"resource body", **SSEC)
            assert put["SSECustomerAlgorithm"] == "AES256"
            got = await obj.get(**SSEC)
            async with got["Body"] as body:
                assert await body.read() == b"resource body"
            with pytest.raises(exceptions.ClientError):
                await obj.load()  # an SSE-C object's HEAD needs the key
            plain = bucket.Object("r/2")
            await plain.put(Body=b"12345")
            assert await plain.content_length == 5
            assert await plain.e_tag == (await plain.e_tag)
            await asyncio.gather(*(bucket.Object(f"r/x{i}").put(Body=b"x") for i in range(5)))
            keys = [o.key async for o in bucket.objects.filter(Prefix="r/")]
            assert keys == ["r/1", "r/2", "r/x0", "r/x1", "r/x2", "r/x3", "r/x4"]
            assert [o.key async for o in bucket.objects.filter(Prefix="r/x").limit(2)] == ["r/x0", "r/x1"]
            assert [len(p) async for p in bucket.objects.page_size(3).pages()] == [3, 3, 1]
            (summary,) = [o async for o in bucket.objects.filter(Prefix="r/2")]
            assert await summary.size == 5
            await plain.wait_until_exists()
            await bucket.load()
            assert await bucket.creation_date is not None
            names = [b.name async for b in s3.buckets.all()]
            assert mbucket in names
            await bucket.objects.filter(Prefix="r/x").delete()
            assert [o.key async for o in bucket.objects.all()] == ["r/1", "r/2"]
            with pytest.raises(TypeError, match="async"):
                list(bucket.objects.all())

    run(main)


def test_session_and_client_pickle_by_configuration(
    ministack, mbucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ministack.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ministack.secret_key)
    session = pickle.loads(pickle.dumps(s3seal.aio.Session(region_name="us-east-1")))
    assert isinstance(session, s3seal.aio.Session) and session.region_name == "us-east-1"

    async def main() -> dict[str, Any]:
        async with session.client("s3", endpoint_url=ministack.url) as s3:
            clone = pickle.loads(pickle.dumps(s3))
            assert isinstance(clone, AioS3Client) and clone.meta.endpoint_url == ministack.url
            return await clone.list_objects_v2(Bucket=mbucket)  # type: ignore[no-any-return]

    assert run(main)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(TypeError, match="explicit credentials"):
        pickle.dumps(s3seal.aio.Session(aws_access_key_id="a", aws_secret_access_key="b"))
