"""The same calls through real boto3 and through s3seal, against the same ministack: the
response dicts (minus request ids and dates) and the exceptions must match."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import botocore.exceptions
import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY, SSE_KEY_B64, SSE_KEY_MD5

SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
VOLATILE_HEADERS = {"date", "x-amz-request-id", "x-amz-id-2", "x-amzn-requestid", "last-modified"}


def normalise(value: Any, ignore: tuple[str, ...] = ()) -> Any:
    """Drop what differs between two identical calls: ids, dates, bodies."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("RequestId", "HostId", "Body") or k in VOLATILE_HEADERS or k in ignore:
                continue
            out[k] = normalise(v, ignore)
        return dict(sorted(out.items()))  # dict order is not part of the contract
    if isinstance(value, list):
        return [normalise(v, ignore) for v in value]
    if isinstance(value, tuple):
        return tuple(normalise(v, ignore) for v in value)
    if isinstance(value, dt.datetime):
        return "<datetime>" if value.tzinfo is not None else "<naive datetime>"
    return value


def outcome(fn, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        result = fn(*args, **kwargs)
        if isinstance(result, dict) and "Body" in result:
            result = {**result, "BodyBytes": result["Body"].read()}
        return "ok", normalise(result)
    except botocore.exceptions.ClientError as e:
        return type(e).__name__, (str(e), normalise(e.response))
    except botocore.exceptions.BotoCoreError as e:
        return type(e).__name__, str(e)


@pytest.fixture
def pair(ministack, mbucket):  # type: ignore[no-untyped-def]
    real = boto3.client("s3", **ministack.client_kwargs())
    ours = s3seal.client("s3", **ministack.client_kwargs())
    return real, ours, mbucket


def compare(
    pair, op: str, per_client_key: bool = True, ignore: tuple[str, ...] = (), **kwargs: Any
) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    real, ours, bucket = pair
    results = []
    for name, client in (("boto3", real), ("s3sel", ours)):
        args = dict(kwargs)
        args.setdefault("Bucket", bucket)
        if per_client_key and "Key" in args:
            args["Key"] = f"{args['Key']}-{name}"
        if "CopySource" in args and isinstance(args["CopySource"], dict):
            args["CopySource"] = {
                **args["CopySource"],
                "Bucket": bucket,
                "Key": f"{args['CopySource']['Key']}-{name}",
            }
        results.append(outcome(getattr(client, op), **args))
    boto_result, ours_result = normalise(results[0], ignore), normalise(results[1], ignore)
    # Keys differ by suffix; blank them out of anything that echoes them.
    text = lambda r: repr(r).replace("-boto3", "-X").replace("-s3sel", "-X")  # noqa: E731
    assert text(ours_result) == text(boto_result)
    return ours_result


SCENARIOS = [
    ("put_object", {"Key": "plain", "Body": b"hello"}),
    ("put_object", {"Key": "ssec", "Body": b"hello", **SSEC}),
    (
        "put_object",
        {
            "Key": "ssec-str-key",
            "Body": b"hello",
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": "k" * 32,
        },
    ),
    (
        "put_object",
        {
            "Key": "seed",
            "Body": b"hello",
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": SSE_KEY_B64,
            "SSECustomerKeyMD5": SSE_KEY_MD5,
        },
    ),
    ("put_object", {"Key": "sse-s3", "Body": b"hello", "ServerSideEncryption": "AES256"}),
    (
        "put_object",
        {
            "Key": "kms",
            "Body": b"hello",
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": "alias/s3seal-test-kms-key",
            "BucketKeyEnabled": True,
        },
    ),
    (
        "put_object",
        {
            "Key": "meta",
            "Body": "text body",
            "Metadata": {"A": "1"},
            "ContentType": "text/plain",
            "CacheControl": "no-cache",
            "ContentDisposition": "inline",
            "Tagging": "a=b",
        },
    ),
    # failures the server reports
    (
        "put_object",
        {"Key": "short", "Body": b"x", "SSECustomerAlgorithm": "AES256", "SSECustomerKey": b"s" * 16},
    ),
    (
        "put_object",
        {"Key": "double-b64", "Body": b"x", "SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY_B64},
    ),
    (
        "put_object",
        {
            "Key": "bad-md5",
            "Body": b"x",
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": SSE_KEY_B64,
            "SSECustomerKeyMD5": "AAAAAAAAAAAAAAAAAAAAAA==",
        },
    ),
    ("put_object", {"Key": "both", "Body": b"x", "ServerSideEncryption": "AES256", **SSEC}),
    ("put_object", {"Key": "no-alg", "Body": b"x", "SSECustomerKey": SSE_KEY}),
    ("put_object", {"Key": "kms-no-id", "Body": b"x", "ServerSideEncryption": "aws:kms"}),
    ("get_object", {"Key": "missing"}),
    ("head_object", {"Key": "missing"}),
    ("get_object", {"Bucket": "no-such-bucket-s3seal", "Key": "x"}),
    # failures botocore reports before sending
    ("put_object", {"Key": "k", "Body": b"x", "Foo": 1}),
    ("put_object", {"Body": b"x"}),
    ("put_object", {"Key": "k", "Body": 42}),
    ("put_object", {"Key": "k", "Body": b"x", "ContentLength": "3"}),
    ("put_object", {"Key": "k", "Body": b"x", "BucketKeyEnabled": "yes"}),
    ("put_object", {"Key": "k", "Body": b"x", "Metadata": {"k": "é"}}),
    ("put_object", {"Bucket": "bad/bucket", "Key": "k", "Body": b"x"}),
    ("put_object", {"Key": "", "Body": b"x"}),
    ("put_object", {"Key": "k", "Body": b"x", "SSECustomerKey": "x" * 32, "SSECustomerKeyMD5": None}),
    ("get_object", {"Key": "k", "ServerSideEncryption": "AES256"}),
    ("delete_objects", {"Delete": {"Objects": [{"VersionId": "1"}]}}),
    ("list_objects_v2", {"MaxKeys": "10"}),
]


@pytest.mark.parametrize(
    ("op", "kwargs"), SCENARIOS, ids=[f"{op}-{i}" for i, (op, _) in enumerate(SCENARIOS)]
)
def test_scenario(pair, op: str, kwargs: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    compare(pair, op, **kwargs)


def test_get_head_copy_and_delete(pair) -> None:  # type: ignore[no-untyped-def]
    compare(pair, "put_object", Key="obj", Body=b"0123456789" * 100, Metadata={"x": "y"}, **SSEC)
    compare(pair, "get_object", Key="obj", **SSEC)
    compare(pair, "get_object", Key="obj", Range="bytes=5-20", **SSEC)
    compare(pair, "head_object", Key="obj", **SSEC)
    compare(pair, "get_object", Key="obj")
    # Deliberate divergence: after a HEAD 400 botocore looks the bucket's region up and
    # re-sends the HEAD even when the region is unchanged (RetryAttempts 1); s3seal
    # re-sends only when the region differs.
    compare(pair, "head_object", Key="obj", ignore=("RetryAttempts",))
    compare(pair, "get_object", Key="obj", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    compare(
        pair,
        "head_object",
        Key="obj",
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=OTHER_KEY,
        ignore=("RetryAttempts",),
    )
    compare(
        pair,
        "copy_object",
        Key="rotated",
        CopySource={"Key": "obj"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=SSE_KEY,
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=OTHER_KEY,
    )
    compare(pair, "get_object", Key="rotated", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    compare(pair, "get_object", Key="rotated", **SSEC)
    compare(pair, "delete_object", Key="obj")


def test_listing(pair) -> None:  # type: ignore[no-untyped-def]
    real, _ours, bucket = pair
    for key in ("a b", "dir/x", "ü+%"):
        real.put_object(Bucket=bucket, Key=key, Body=b"1")
    compare(pair, "list_objects_v2", per_client_key=False)
    compare(pair, "list_objects_v2", per_client_key=False, Delimiter="/", Prefix="")
    compare(pair, "list_objects_v2", per_client_key=False, MaxKeys=1)
    compare(pair, "list_objects_v2", per_client_key=False, EncodingType="url")
    compare(pair, "head_bucket", per_client_key=False)
    compare(
        pair, "delete_objects", per_client_key=False, Delete={"Objects": [{"Key": "a b"}, {"Key": "nope"}]}
    )


def test_exception_classes_match(pair) -> None:  # type: ignore[no-untyped-def]
    real, ours, bucket = pair
    real.put_object(Bucket=bucket, Key="e", Body=b"1", **SSEC)
    for call in (
        dict(Key="e"),
        dict(Key="e", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY),
        dict(Key="nope"),
    ):
        errors = []
        for client in (real, ours):
            with pytest.raises(botocore.exceptions.ClientError) as err:
                client.get_object(Bucket=bucket, **call)
            errors.append(err.value)
        assert type(errors[0]).__name__ == type(errors[1]).__name__
        assert str(errors[0]) == str(errors[1])
        assert isinstance(errors[1], ours.exceptions.ClientError)


def test_timestamps_are_botocores_datetimes(server, bucket) -> None:  # type: ignore[no-untyped-def]
    """LastModified from a header (second precision) and from a listing (milliseconds):
    the same aware datetimes botocore parses, on each server. s3seal builds them from
    calendar fields rather than through ``datetime.fromtimestamp``."""
    real = boto3.client("s3", **server.client_kwargs())
    ours = s3seal.client("s3", **server.client_kwargs())
    real.put_object(Bucket=bucket, Key="when", Body=b"1")

    def stamps(client: Any) -> tuple[dt.datetime, dt.datetime]:
        head = client.head_object(Bucket=bucket, Key="when")["LastModified"]
        listed = client.list_objects_v2(Bucket=bucket)["Contents"][0]["LastModified"]
        return head, listed

    before, mine, after = stamps(real), stamps(ours), stamps(real)
    assert mine[0] == before[0] == after[0]
    assert mine[0].tzinfo is not None and mine[0].utcoffset() == dt.timedelta(0)
    assert mine[1] in (before[1], after[1])  # ministack may vary the sub-second part between reads
    assert abs(mine[1] - mine[0]) < dt.timedelta(seconds=2)
