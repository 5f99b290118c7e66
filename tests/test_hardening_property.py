"""Issue 9: generated bad inputs get boto3's exception class.

Hypothesis builds calls of put_object, get_object, head_object, copy_object,
list_objects_v2, delete_objects, upload_file, upload_fileobj, download_fileobj and copy
from a valid base with one to three members replaced by hostile values (wrong types, huge,
empty, control characters, lone surrogates, non-finite numbers, unknown names). Each call
goes through real boto3 and through s3seal against the same ministack (two attempts).
The outcome classes must match, except where a documented divergence explains it
(``DIVERGENCES``); no call may end in a panic or an internal error. Classes, not texts, are
compared: s3seal redacts secrets that botocore prints.

Left out: ``ContentLength``. s3seal always sends the body's real length (its HTTP stack
cannot send another); boto3 sends the caller's, and a larger one leaves the server
waiting for bytes that never come (a read timeout).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections import Counter
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
import s3seal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEY = bytes(range(32, 64))  # an SSE-C key of this test only (not the suite's secrets)

CLIENT_OPS = ["put_object", "get_object", "head_object", "copy_object", "list_objects_v2", "delete_objects"]
TRANSFER_OPS = ["upload_file", "upload_fileobj", "download_fileobj", "copy"]

MEMBERS = {
    "put_object": [
        "Key",
        "Body",
        "ContentType",
        "Metadata",
        "Expires",
        "ChecksumAlgorithm",
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "SSECustomerKeyMD5",
        "ServerSideEncryption",
        "SSEKMSKeyId",
        "StorageClass",
        "Tagging",
        "ACL",
        "CacheControl",
        "Nonsense",
    ],
    "get_object": [
        "Key",
        "Range",
        "IfModifiedSince",
        "IfMatch",
        "PartNumber",
        "ChecksumMode",
        "VersionId",
        "SSECustomerAlgorithm",
        "SSECustomerKey",
        "ResponseExpires",
        "Nonsense",
    ],
    "head_object": [
        "Key",
        "IfUnmodifiedSince",
        "Range",
        "PartNumber",
        "ChecksumMode",
        "SSECustomerKey",
        "Nonsense",
    ],
    "copy_object": [
        "Key",
        "CopySource",
        "MetadataDirective",
        "Metadata",
        "CopySourceIfModifiedSince",
        "CopySourceSSECustomerKey",
        "SSECustomerKey",
        "ChecksumAlgorithm",
        "Nonsense",
    ],
    "list_objects_v2": [
        "MaxKeys",
        "Prefix",
        "Delimiter",
        "ContinuationToken",
        "StartAfter",
        "FetchOwner",
        "EncodingType",
        "Nonsense",
    ],
    "delete_objects": ["Delete", "ChecksumAlgorithm", "BypassGovernanceRetention", "Nonsense"],
}
EXTRA_ARGS = [
    "ContentType",
    "Metadata",
    "Expires",
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "ServerSideEncryption",
    "ChecksumAlgorithm",
    "ACL",
    "StorageClass",
    "Nonsense",
    "VersionId",
]

hostile_text = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc"]), min_size=1, max_size=4),
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "a\r\nb",
            "a\x00b",
            "\udc80",
            "k" * 70_000,
            "AES256",
            "CRC32",
            "crc32",
            "aws:kms",
            "bytes=0-0",
            "x" * 1025,
        ]
    ),
)
hostile_scalar = st.one_of(
    hostile_text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.binary(max_size=16),
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
)
hostile = st.one_of(
    hostile_scalar,
    st.lists(hostile_scalar, max_size=3),
    st.dictionaries(hostile_text, hostile_scalar, max_size=3),
    st.fixed_dictionaries({"Objects": st.lists(st.fixed_dictionaries({"Key": hostile_scalar}), max_size=2)}),
    st.fixed_dictionaries({"Bucket": hostile_scalar, "Key": hostile_scalar}),
)


def base(op: str, bucket: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if op in ("put_object", "get_object", "head_object", "copy_object"):
        kwargs["Key"] = "k"
    if op == "copy_object":
        kwargs["CopySource"] = f"{bucket}/k"
    if op == "delete_objects":
        kwargs["Delete"] = {"Objects": [{"Key": "gone"}]}
    return kwargs


def class_of(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, BaseException | None]:
    try:
        result = fn(*args, **kwargs)
        if isinstance(result, dict) and "Body" in result:
            result["Body"].read()
    except BaseException as e:  # a PanicException is a BaseException
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return type(e).__name__, e
    return "ok", None


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings_in(v)]
    return []


def non_finite_or_huge(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) >= 2**31
    if isinstance(value, dict):
        return any(non_finite_or_huge(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(non_finite_or_huge(v) for v in value)
    return False


def status(error: BaseException | None) -> int | None:
    if isinstance(error, botocore.exceptions.ClientError):
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return None


def divergence(
    theirs: str,
    ours: str,
    values: list[Any],
    errors: tuple[BaseException | None, BaseException | None] = (None, None),
) -> str | None:
    """The documented reason two outcomes differ, if one applies."""
    if status(errors[0]) is not None and status(errors[0]) == status(errors[1]):
        return "same server status, another error body (ClientError vs its modeled subclass)"
    texts = [s for v in values for s in strings_in(v)]
    if any(any((ord(c) < 32 and c != "\t") or c == "\x7f" for c in s) for s in texts) and ours in (
        "ParamValidationError",
        "HTTPClientError",
    ):
        return "control character: http.client sends it, no header of s3seal's HTTP stack can carry it"
    if any(any(0xD800 <= ord(c) <= 0xDFFF for c in s) for s in texts) and ours in (
        "UnicodeEncodeError",
        "ParamValidationError",
    ):
        return "lone surrogate: botocore crashes in its signer (AttributeError) or sends it"
    if theirs in ("TypeError", "AttributeError", "EndpointResolutionError") and ours in (
        "ParamValidationError",
        "RuntimeError",
    ):
        return "wrong type: a botocore handler crashes before its validator reports it"
    if any(non_finite_or_huge(v) for v in values) and "ok" in (theirs, ours):
        return "beyond the SDK's integer fields: botocore sends or parses what the SDK's types cannot"
    if theirs == "ok" and ours == "ConnectionClosedError":
        # Seen once with a fixed seed on HeadObject, on the previous transport: a pooled
        # connection a hostile request had left broken. The pool now drops such connections
        # before reuse as urllib3 does (tests/test_connection_pool.py), and the case did not
        # come back in later runs; it stays named here until it has been gone for longer.
        return "a pooled connection a previous hostile request broke (seen on the previous transport)"
    return None


STATS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def clients(ministack):  # type: ignore[no-untyped-def]
    # Two attempts: a pooled connection the server closed after a hostile request is tried
    # again (as urllib3 drops it before reuse), a server error costs one short backoff.
    # Short timeouts bound the worst case (a request the server waits on).
    once = {"retries": {"total_max_attempts": 2}, "read_timeout": 5, "connect_timeout": 5}
    real = boto3.client("s3", config=botocore.config.Config(**once), **ministack.client_kwargs())
    ours = s3seal.client("s3", config=s3seal.Config(**once), **ministack.client_kwargs())
    bucket = "property-bucket"
    real.create_bucket(Bucket=bucket)
    real.put_object(Bucket=bucket, Key="k", Body=b"value")
    yield real, ours, bucket
    print(
        f"property test: {STATS['tried']} inputs, {STATS['same']} with boto3's class "
        f"({100 * STATS['same'] / max(1, STATS['tried']):.1f}%), {STATS['divergent']} documented divergences, "
        f"{STATS['both_ok']} accepted by both"
    )
    for reason, count in STATS.items():
        if reason not in ("tried", "same", "divergent", "both_ok"):
            print(f"  {count} x {reason}")


def check(real_outcome: tuple[str, Any], our_outcome: tuple[str, Any], values: list[Any]) -> None:
    (theirs, their_error), (ours, error) = real_outcome, our_outcome
    STATS["tried"] += 1
    assert ours != "PanicException" and not (
        error is not None and "internal error in s3seal" in str(error)
    ), ours
    if theirs == ours:
        STATS["same"] += 1
        STATS["both_ok"] += theirs == "ok"
        return
    reason = divergence(theirs, ours, values, (their_error, error))
    assert reason is not None, f"boto3: {theirs}, s3seal: {ours} ({error!s:.200})"
    STATS["divergent"] += 1
    STATS[reason] += 1


def mutated(data: st.DataObject, op: str, bucket: str) -> tuple[dict[str, Any], list[Any]]:
    kwargs = base(op, bucket)
    names = data.draw(st.lists(st.sampled_from(MEMBERS[op]), min_size=1, max_size=3, unique=True))
    values = []
    for name in names:
        value = data.draw(hostile)
        if name == "SSECustomerKey" and data.draw(st.booleans()):
            value = KEY
        kwargs[name] = value
        values.append(value)
    return kwargs, values


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@SETTINGS
@given(data=st.data())
def test_client_calls_get_boto3s_class(clients, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    real, ours, bucket = clients
    op = data.draw(st.sampled_from(CLIENT_OPS))
    kwargs, values = mutated(data, op, bucket)
    check(class_of(getattr(real, op), **kwargs), class_of(getattr(ours, op), **kwargs), values)


@SETTINGS
@given(data=st.data())
def test_transfers_get_boto3s_class(clients, tmp_path_factory, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    real, ours, bucket = clients
    op = data.draw(st.sampled_from(TRANSFER_OPS))
    extra_names = data.draw(st.lists(st.sampled_from(EXTRA_ARGS), max_size=2, unique=True))
    extra = {name: data.draw(hostile) for name in extra_names}
    key = data.draw(st.one_of(st.just("t"), hostile_text))
    values = [*extra.values(), key]
    path = tmp_path_factory.mktemp("p") / "f"
    path.write_bytes(b"payload")

    def run(client: Any) -> Any:
        if op == "upload_file":
            return client.upload_file(str(path), bucket, key, ExtraArgs=extra)
        if op == "upload_fileobj":
            return client.upload_fileobj(io.BytesIO(b"payload"), bucket, key, ExtraArgs=extra)
        if op == "download_fileobj":
            return client.download_fileobj(bucket, "k" if key == "t" else key, io.BytesIO(), ExtraArgs=extra)
        return client.copy({"Bucket": bucket, "Key": "k"}, bucket, key, ExtraArgs=extra)

    check(class_of(run, real), class_of(run, ours), values)
