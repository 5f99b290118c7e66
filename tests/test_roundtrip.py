"""Encrypted round trips in each SSE mode on both real servers, and their failures."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5
from s3seal.exceptions import ClientError

SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
WRONG = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": OTHER_KEY}


def test_sse_c_round_trip(s3, bucket) -> None:
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, **SSEC)
    assert put["SSECustomerAlgorithm"] == "AES256"
    assert put["SSECustomerKeyMD5"] == SSE_KEY_MD5
    assert put["ETag"].startswith('"') and put["ETag"].endswith('"')
    got = s3.get_object(Bucket=bucket, Key="c", **SSEC)
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got["SSECustomerKeyMD5"] == SSE_KEY_MD5
    head = s3.head_object(Bucket=bucket, Key="c", **SSEC)
    assert head["ContentLength"] == len(body)
    assert head["Metadata"] == {}


def test_sse_c_with_base64_key_and_md5_passes_through(s3, bucket) -> None:
    """The seeds' form: a base64 str key plus its MD5 go out untouched."""
    args = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY_B64, "SSECustomerKeyMD5": SSE_KEY_MD5}
    s3.put_object(Bucket=bucket, Key="p", Body=b"seed", **args)
    # ... and the raw key with the auto rule reads the same object back.
    assert s3.get_object(Bucket=bucket, Key="p", **SSEC)["Body"].read() == b"seed"


@pytest.mark.parametrize(
    "body", [b"", b"x", bytearray(b"bytearray body"), memoryview(b"memoryview body"), "str body"]
)
def test_body_types(s3, bucket, body) -> None:
    s3.put_object(Bucket=bucket, Key="b", Body=body, **SSEC)
    expected = body.encode() if isinstance(body, str) else bytes(body)
    assert s3.get_object(Bucket=bucket, Key="b", **SSEC)["Body"].read() == expected


def test_file_object_body(s3, bucket, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    data = os.urandom(300_000)
    path.write_bytes(data)
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key="f", Body=f, **SSEC)
    assert s3.get_object(Bucket=bucket, Key="f", **SSEC)["Body"].read() == data


def test_sse_s3_and_kms_round_trip(s3, bucket, server) -> None:
    for args in (
        {"ServerSideEncryption": "AES256"},
        {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": "alias/s3seal-test-kms-key",
            "BucketKeyEnabled": True,
        },
    ):
        put = s3.put_object(Bucket=bucket, Key="k", Body=b"managed", **args)
        got = s3.get_object(Bucket=bucket, Key="k")
        assert got["Body"].read() == b"managed"
        if server.name == "ministack":  # Garage ignores SSE-S3/KMS and echoes nothing
            assert put["ServerSideEncryption"] == args["ServerSideEncryption"]
            assert got["ServerSideEncryption"] == args["ServerSideEncryption"]
            if "SSEKMSKeyId" in args:
                assert got["SSEKMSKeyId"] == args["SSEKMSKeyId"]


def test_streaming_body_api(s3, bucket) -> None:
    data = b"line one\nline two\n" + os.urandom(5000) + b"\nlast"
    s3.put_object(Bucket=bucket, Key="s", Body=data, **SSEC)
    body = s3.get_object(Bucket=bucket, Key="s", **SSEC)["Body"]
    assert body.read(4) == data[:4]
    buf = bytearray(10)
    assert body.readinto(buf) == 10 and bytes(buf) == data[4:14]
    assert b"".join(body.iter_chunks(777)) == data[14:]
    assert body.read() == b""
    body.close()
    lines = list(s3.get_object(Bucket=bucket, Key="s", **SSEC)["Body"].iter_lines())
    assert lines[:2] == [b"line one", b"line two"]
    with s3.get_object(Bucket=bucket, Key="s", **SSEC)["Body"] as b:
        assert b"".join(iter(b)) == data


def test_small_bodies_come_back_whole_in_bytes_of_their_own_size(s3, bucket) -> None:
    """A body up to 64 KiB is received, with the GIL released, into a bytes object made
    before the call, then cut to the body's size (src/body.rs, ``Landing``). Whatever the
    size around that limit, how it is read, or how many bodies are in flight, each read
    gives that body's bytes, and a kept body holds its own size, not 64 KiB."""
    import tracemalloc

    sizes = [0, 1, 4095, 65535, 65536, 65537]
    data = {n: os.urandom(n) for n in sizes}
    for n, d in data.items():
        s3.put_object(Bucket=bucket, Key=f"l{n}", Body=d)
    in_flight = [(n, s3.get_object(Bucket=bucket, Key=f"l{n}")["Body"]) for n in sizes]
    for n, body in reversed(in_flight):
        got = body.read()
        assert type(got) is bytes and got == data[n]
        assert body.read() == b""
    for n in (4095, 65536):
        body = s3.get_object(Bucket=bucket, Key=f"l{n}")["Body"]
        assert body.read(1) + body.read(0) + body.read() == data[n]
        body = s3.get_object(Bucket=bucket, Key=f"l{n}")["Body"]
        assert body.read(n + 1) == data[n] and body.read() == b""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [s3.get_object(Bucket=bucket, Key="l4095")["Body"].read() for _ in range(64)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert all(k == data[4095] for k in kept)
    assert held < 64 * 16 * 1024, held  # uncut, 64 bodies would hold 4 MiB


def test_a_body_is_made_as_its_init_makes_it(s3, bucket) -> None:
    """GetObject's body is made natively without running ``StreamingBody.__init__``
    (src/convert.rs): it must come out as the constructor would make it."""
    from io import IOBase

    from s3seal.response import StreamingBody

    s3.put_object(Bucket=bucket, Key="b", Body=b"0123456789", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="b")
    body = got["Body"]
    by_init = StreamingBody(body._raw_stream, 10)
    assert type(body) is StreamingBody and isinstance(body, IOBase)
    names = ("_raw_stream", "_content_length", "_amount_read")
    state = [(a, getattr(body, a)) for a in names]
    assert state == [(a, getattr(by_init, a)) for a in names]
    assert [type(v) for _, v in state] == [type(getattr(by_init, a)) for a in names]
    assert vars(body) == vars(by_init) == {}
    assert not body.closed and body.tell() == 0
    assert body.read() == b"0123456789" and body.tell() == 10
    assert not body.closed and body.readable()
    body.flush()
    body.close()
    assert body.closed and not body.readable()
    for after_close in (body.read, body.flush, body.readline):
        with pytest.raises(ValueError, match="I/O operation on closed file"):
            after_close()
    body.close()  # closing twice is allowed, as for any IOBase
    # A member bound to a header shares the string HTTPHeaders holds: the same text.
    headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert got["ETag"] == headers["etag"] and got["ContentType"] == headers["content-type"]
    assert got["ContentLength"] == 10 and type(got["ContentLength"]) is int


def test_read_over_a_callers_stream_is_botocores() -> None:
    """``StreamingBody.read`` is native (src/streaming_body.rs). Over a stream of the
    caller's (botocore's own tests wrap a BytesIO) it reads, counts and checks the
    Content-Length (an int, or the header's text) as botocore's does."""
    import io

    from botocore.response import StreamingBody as BotocoreBody
    from s3seal.response import StreamingBody

    def reads(cls: Any, data: bytes, length: Any, *amounts: Any) -> list[Any]:
        body = cls(io.BytesIO(data), length)
        got: list[Any] = []
        for amt in amounts:
            try:
                got.append(body.read() if amt == "none" else body.read(amt=amt))
            except Exception as e:  # compared by name and text
                got.append((type(e).__name__, str(e)))
            got.append(body.tell())
        return got

    cases = [
        (b"abcde", 5, 2, 0, 2, 10, 10),
        (b"abcde", "5", "none", "none"),
        (b"abc", 5, 1, 10, 10),
        (b"abc", "5", "none"),
        (b"abc", None, 2, "none", 1),
        (b"abcdef", 5, "none"),
    ]
    for data, length, *amounts in cases:
        expected = reads(BotocoreBody, data, length, *amounts)
        assert reads(StreamingBody, data, length, *amounts) == expected, (data, length, amounts)
    assert any(isinstance(r, tuple) for r in reads(StreamingBody, b"abc", "5", "none"))
    body = StreamingBody(io.BytesIO(b"abc"), 3)
    assert body.read(1) == b"a" and body.read(amt=-1) == b"bc" and body.read() == b""
    for bad in ((1, 2), (1.5,)):
        with pytest.raises(TypeError):
            body.read(*bad)
    with pytest.raises(TypeError, match="unexpected keyword argument 'size'"):
        body.read(size=1)
    with pytest.raises(TypeError, match="multiple values"):
        body.read(1, amt=1)


def test_a_dropped_body_leaves_its_stream_to_itself(s3, bucket) -> None:
    """A body's finalizer does not close its stream, as botocore's (an empty ``__del__``)
    does not: the native stream closes itself when it is freed, and bodies dropped unread
    hold nothing back from the calls after them."""
    import gc
    import io

    from botocore.response import StreamingBody as BotocoreBody
    from s3seal.response import StreamingBody

    botocore_raw = io.BytesIO(b"abc")
    dropped = BotocoreBody(botocore_raw, 3)
    del dropped
    gc.collect()
    assert not botocore_raw.closed
    s3.put_object(Bucket=bucket, Key="d", Body=b"x" * 100)
    body = s3.get_object(Bucket=bucket, Key="d")["Body"]
    assert type(body) is StreamingBody
    raw = body._raw_stream
    del body
    gc.collect()
    assert not raw.closed and raw.read(None) == b"x" * 100
    for _ in range(30):
        s3.get_object(Bucket=bucket, Key="d")  # each body dropped unread
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"x" * 100


def test_header_values_that_repeat_are_shared_and_secrets_never(s3, bucket, server) -> None:
    """A repeating header's value (content-type, etag, the SSE-C algorithm, ...) is one
    string kept from one response to the next (src/convert.rs); a KMS key id or an SSE-C
    key's MD5 is made for each response alone; many values in turn, sharing the kept sets,
    each come back as sent. A value stays kept when another lands beside it (a set holds
    two): the date, new each second, no longer evicts the content type it lands on."""
    s3.put_object(Bucket=bucket, Key="h", Body=b"h", ContentType="text/x-shared")
    first, again = (
        s3.head_object(Bucket=bucket, Key="h")["ResponseMetadata"]["HTTPHeaders"] for _ in range(2)
    )
    assert first["content-type"] == "text/x-shared"
    assert first["content-type"] is again["content-type"] and first["etag"] is again["etag"]
    for i in range(100):
        s3.put_object(Bucket=bucket, Key=f"t{i}", Body=b"", ContentType=f"text/x-{i}")
    for i in range(100):
        assert s3.head_object(Bucket=bucket, Key=f"t{i}")["ContentType"] == f"text/x-{i}"
    if server.name == "ministack":  # Garage ignores SSE-KMS
        kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/s3seal-test-kms-key"}
        s3.put_object(Bucket=bucket, Key="kms", Body=b"k", **kms)
        name = "x-amz-server-side-encryption-aws-kms-key-id"
        first, again = (
            s3.head_object(Bucket=bucket, Key="kms")["ResponseMetadata"]["HTTPHeaders"] for _ in range(2)
        )
        assert first[name] == again[name] and first[name] is not again[name]
    s3.put_object(Bucket=bucket, Key="c", Body=b"c", **SSEC)
    first, again = (
        s3.head_object(Bucket=bucket, Key="c", **SSEC)["ResponseMetadata"]["HTTPHeaders"] for _ in range(2)
    )
    algorithm = "x-amz-server-side-encryption-customer-algorithm"
    md5 = "x-amz-server-side-encryption-customer-key-md5"
    assert first[algorithm] == "AES256" and first[algorithm] is again[algorithm]
    assert first[md5] == again[md5] and first[md5] is not again[md5]


def test_responses_with_the_same_header_names_each_get_their_own_values(s3, bucket) -> None:
    """The second time in a row a sequence of header names comes, its HTTPHeaders dict is
    kept as a template that later responses with those names copy (src/convert.rs,
    `http_headers`): every value that differs (etag, type, length, user metadata, the
    SSE-C key's MD5) is each response's own, in the server's order, and a dict returned
    and then changed is no template for the next."""
    keys = [f"l{i}" for i in range(4)]
    for i, key in enumerate(keys):
        body = bytes([i]) * (i + 1)
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=f"text/x-l{i}", Metadata={"n": str(i)})
    order = None
    for _ in range(3):
        for i, key in enumerate(keys):
            got = s3.head_object(Bucket=bucket, Key=key)
            headers = got["ResponseMetadata"]["HTTPHeaders"]
            assert headers["content-type"] == got["ContentType"] == f"text/x-l{i}"
            assert headers["content-length"] == str(got["ContentLength"]) == str(i + 1)
            assert headers["etag"] == got["ETag"] == f'"{hashlib.md5(bytes([i]) * (i + 1)).hexdigest()}"'
            assert headers["x-amz-meta-n"] == got["Metadata"]["n"] == str(i)
            order = order or list(headers)
            assert list(headers) == order
            for name in headers:
                headers[name] = "changed"
    md5 = "x-amz-server-side-encryption-customer-key-md5"
    for key in (SSE_KEY, OTHER_KEY):
        s3.put_object(
            Bucket=bucket,
            Key=f"c{key is SSE_KEY}",
            Body=b"c",
            SSECustomerAlgorithm="AES256",
            SSECustomerKey=key,
        )
    for _ in range(3):
        for key in (SSE_KEY, OTHER_KEY):
            got = s3.head_object(
                Bucket=bucket, Key=f"c{key is SSE_KEY}", SSECustomerAlgorithm="AES256", SSECustomerKey=key
            )
            expected = base64.b64encode(hashlib.md5(key).digest()).decode()
            assert got["ResponseMetadata"]["HTTPHeaders"][md5] == got["SSECustomerKeyMD5"] == expected


def test_range_get(s3, bucket) -> None:
    data = os.urandom(10_000)
    s3.put_object(Bucket=bucket, Key="r", Body=data, **SSEC)
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=100-199", **SSEC)
    assert got["Body"].read() == data[100:200]
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes 100-199/{len(data)}"


def test_wrong_and_missing_key_fail(s3, bucket, server) -> None:
    s3.put_object(Bucket=bucket, Key="w", Body=b"secret data", **SSEC)
    with pytest.raises(ClientError) as wrong:
        s3.get_object(Bucket=bucket, Key="w", **WRONG)
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket=bucket, Key="w")
    with pytest.raises(ClientError) as head_missing:
        s3.head_object(Bucket=bucket, Key="w")
    for err in (wrong, missing, head_missing):
        assert 400 <= err.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    if server.name == "ministack":
        assert type(wrong.value) is s3.exceptions.AccessDenied
        assert type(missing.value) is s3.exceptions.InvalidRequest
        assert missing.value.response["Error"]["Message"].startswith(
            "The object was stored using a form of Server Side Encryption."
        )
        assert head_missing.value.response["Error"] == {"Code": "400", "Message": "Bad Request"}


def test_bad_sse_c_parameters_are_rejected(s3, bucket, server) -> None:
    cases = {
        "short key": ({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": b"k" * 16}, "InvalidArgument"),
        "wrong md5": (
            {
                "SSECustomerAlgorithm": "AES256",
                "SSECustomerKey": SSE_KEY_B64,
                "SSECustomerKeyMD5": "AAAAAAAAAAAAAAAAAAAAAA==",
            },
            "InvalidArgument",
        ),
        "sse-c with sse-s3": ({**SSEC, "ServerSideEncryption": "AES256"}, "InvalidArgument"),
    }
    for name, (args, code) in cases.items():
        if server.name == "garage" and name == "sse-c with sse-s3":
            continue  # Garage accepts the combination (see docs/test-servers.md)
        with pytest.raises(ClientError) as err:
            s3.put_object(Bucket=bucket, Key="bad", Body=b"x", **args)
        assert 400 <= err.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500, name
        if server.name == "ministack":
            assert err.value.response["Error"]["Code"] == code, name


def test_sse_c_is_encrypted_at_rest_on_garage(garage) -> None:
    from conftest import make_bucket

    s3 = s3seal.client("s3", **garage.client_kwargs())
    bucket = make_bucket(garage)
    marker = b"PLAINTEXT-MARKER-" + os.urandom(8).hex().encode()
    s3.put_object(Bucket=bucket, Key="enc", Body=marker * 100, **SSEC)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"CONTROL-" + marker * 100)
    stored = b"".join(p.read_bytes() for p in (garage.workdir / "data").rglob("*") if p.is_file())
    assert b"CONTROL-" + marker in stored, "the control object should be stored in plaintext"
    assert stored.count(marker) == stored.count(b"CONTROL-" + marker) * 100, "SSE-C data found in plaintext"


def test_copy_rotates_the_key(s3, bucket, server) -> None:
    s3.put_object(Bucket=bucket, Key="old", Body=b"rotate me", **SSEC)
    res = s3.copy_object(
        Bucket=bucket,
        Key="new",
        CopySource={"Bucket": bucket, "Key": "old"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=SSE_KEY,
        **WRONG,
    )
    assert res["CopyObjectResult"]["ETag"].startswith('"')
    assert s3.get_object(Bucket=bucket, Key="new", **WRONG)["Body"].read() == b"rotate me"
    with pytest.raises(ClientError):
        s3.get_object(Bucket=bucket, Key="new", **SSEC)


def test_bucket_and_listing_operations(s3, server) -> None:
    from conftest import make_bucket

    bucket = make_bucket(server)
    assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    keys = ["a b", "dir/x", "dir/y", "ü+%"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"1", Metadata={"Owner": "tests"})
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == sorted(keys)
    assert listed["KeyCount"] == 4
    grouped = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert grouped["CommonPrefixes"] == [{"Prefix": "dir/"}]
    assert s3.head_object(Bucket=bucket, Key="a b")["Metadata"] == {"owner": "tests"}
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:3]]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == sorted(keys[:3])
    s3.delete_object(Bucket=bucket, Key=keys[3])
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=bucket)
    assert err.value.response["Error"]["Code"] == "404"


def test_missing_key_and_bucket(s3, bucket) -> None:
    with pytest.raises(s3.exceptions.NoSuchKey) as err:
        s3.get_object(Bucket=bucket, Key="nope")
    assert err.value.response["Error"]["Code"] == "NoSuchKey"
    with pytest.raises(ClientError) as head:
        s3.head_object(Bucket=bucket, Key="nope")
    assert head.value.response["Error"] == {"Code": "404", "Message": "Not Found"}
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_object(Bucket="no-such-bucket-s3seal", Key="x")


def test_module_level_upload_and_download(s3, bucket) -> None:
    put = s3seal.upload(Bucket=bucket, Key="m", Body=b"module level", client=s3, **SSEC)
    assert put["SSECustomerKeyMD5"] == SSE_KEY_MD5
    assert s3seal.download(Bucket=bucket, Key="m", client=s3, **SSEC) == b"module level"
