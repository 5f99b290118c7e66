"""Managed transfers and multipart calls through real boto3 and through s3seal, against the
same ministack: same objects, same ETag shape, same exceptions for the same bad input."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY
from test_parity import normalise

MIB = 1024 * 1024
SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
KMS = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/s3seal-test-kms-key"}


@pytest.fixture
def clients(ministack, mbucket) -> tuple[Any, Any, str]:  # type: ignore[no-untyped-def]
    return (
        boto3.client("s3", **ministack.client_kwargs()),
        s3seal.client("s3", **ministack.client_kwargs()),
        mbucket,
    )


def outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    """What a call did: its normalised result, or its exception's class and text."""
    try:
        return "ok", normalise(fn())
    except Exception as e:  # the class and text are what is compared
        response = getattr(e, "response", None)
        return type(e).__name__, (str(e), normalise(response) if response else None)


def blank_keys(value: Any) -> Any:
    """The result with each client's own key name replaced by one placeholder."""
    if isinstance(value, str):
        return value.replace("obj-boto3", "obj-X").replace("obj-s3sel", "obj-X")
    if isinstance(value, dict):
        return {k: blank_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(blank_keys(v) for v in value)
    return value


def both(clients: tuple[Any, Any, str], call: Callable[[Any, str, str], Any]) -> list[tuple[str, Any]]:
    """Run `call(client, bucket, key)` with boto3 then s3seal, each on its own key."""
    real, ours, bucket = clients
    results = []
    for name, client in (("boto3", real), ("s3sel", ours)):
        result = outcome(lambda c=client, n=name: call(c, bucket, f"obj-{n}"))
        results.append(blank_keys(result))
    return results


def same(clients: tuple[Any, Any, str], call: Callable[[Any, str, str], Any]) -> tuple[str, Any]:
    boto_result, ours_result = both(clients, call)
    assert ours_result == boto_result
    return ours_result


@pytest.fixture
def source_file(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.write_bytes(os.urandom(8 * MIB + 1))
    return src


@pytest.mark.parametrize(
    "extra", [SSEC, KMS, {"ServerSideEncryption": "AES256"}, {}], ids=["sse-c", "kms", "s3", "plain"]
)
def test_upload_file_makes_the_same_object(clients, source_file: Path, extra: dict[str, Any]) -> None:
    head_args = SSEC if extra is SSEC else {}

    def call(c: Any, bucket: str, key: str) -> Any:
        c.upload_file(str(source_file), bucket, key, ExtraArgs=extra)
        return c.head_object(Bucket=bucket, Key=key, **head_args)

    status, head = same(clients, call)
    assert status == "ok" and head["ETag"].endswith('-2"')


def test_upload_fileobj_and_download_fileobj_round_trip_alike(clients) -> None:
    data = os.urandom(9 * MIB)

    def call(c: Any, bucket: str, key: str) -> Any:
        c.upload_fileobj(io.BytesIO(data), bucket, key, ExtraArgs=SSEC)
        out = io.BytesIO()
        c.download_fileobj(bucket, key, out, ExtraArgs=SSEC)
        return out.getvalue() == data

    assert same(clients, call) == ("ok", True)


def test_callbacks_add_up_to_the_size(clients, source_file: Path, tmp_path: Path) -> None:
    def call(c: Any, bucket: str, key: str) -> Any:
        up: list[int] = []
        down: list[int] = []
        c.upload_file(str(source_file), bucket, key, Callback=up.append)
        c.download_file(bucket, key, str(tmp_path / key), Callback=down.append)
        return sum(up), sum(down)

    assert same(clients, call) == ("ok", (8 * MIB + 1, 8 * MIB + 1))


def test_bad_extra_args_key(clients, source_file: Path) -> None:
    def call(c: Any, bucket: str, key: str) -> Any:
        return c.upload_file(str(source_file), bucket, key, ExtraArgs={"ContentMd5": "x"})

    boto_result, ours_result = both(clients, call)
    assert ours_result[0] == boto_result[0] == "ValueError"
    # s3seal also allows BucketKeyEnabled (boto/s3transfer#355), so its list has one more.
    assert ours_result[1][0] == boto_result[1][0] + ", BucketKeyEnabled"


def test_bucket_key_enabled_is_allowed_unlike_s3transfer(clients, source_file: Path) -> None:
    def call(c: Any, bucket: str, key: str) -> Any:
        return c.upload_file(str(source_file), bucket, key, ExtraArgs={**KMS, "BucketKeyEnabled": True})

    boto_result, ours_result = both(clients, call)
    assert boto_result[0] == "ValueError" and ours_result == ("ok", None)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, b, k: c.upload_file("/no/such/file", b, k), id="missing-file"),
        pytest.param(lambda c, b, k: c.upload_file(42, b, k), id="filename-not-a-path"),
        pytest.param(
            lambda c, b, k: c.upload_file(__file__, "no-such-bucket-s3seal", k), id="missing-bucket"
        ),
        pytest.param(lambda c, b, k: c.upload_fileobj(object(), b, k), id="fileobj-without-read"),
        pytest.param(lambda c, b, k: c.download_fileobj(b, k, object()), id="fileobj-without-write"),
        pytest.param(lambda c, b, k: c.download_file(b, "missing", "/tmp/s3seal-never"), id="missing-key"),
        pytest.param(
            lambda c, b, k: c.download_fileobj(b, "missing", io.BytesIO()), id="missing-key-fileobj"
        ),
        pytest.param(lambda c, b, k: c.copy({"Bucket": b, "Key": "missing"}, b, k), id="copy-missing-source"),
        pytest.param(lambda c, b, k: c.copy(f"{b}/missing", b, k), id="copy-source-not-a-dict"),
        pytest.param(
            lambda c, b, k: c.download_file(b, k, "/tmp/s3seal-never", ExtraArgs={"Range": "bytes=0-1"}),
            id="range-not-allowed",
        ),
    ],
)
def test_same_errors_for_the_same_bad_input(clients, call: Callable[[Any, str, str], Any]) -> None:
    status, _ = same(clients, call)
    assert status != "ok"


def test_wrong_key_on_download(clients) -> None:
    real, ours, bucket = clients
    for client, name in ((real, "obj-boto3"), (ours, "obj-s3sel")):
        client.put_object(Bucket=bucket, Key=name, Body=b"secret", **SSEC)
    wrong = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": OTHER_KEY}
    status, _ = same(clients, lambda c, b, k: c.download_fileobj(b, k, io.BytesIO(), ExtraArgs=wrong))
    assert status == "ClientError"


def test_multipart_calls_answer_alike(clients) -> None:
    part = os.urandom(5 * MIB)

    def call(c: Any, bucket: str, key: str) -> Any:
        created = c.create_multipart_upload(Bucket=bucket, Key=key, **SSEC)
        upload_id = created["UploadId"]
        uploaded = c.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=part, **SSEC)
        listed = c.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
        done = c.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"ETag": uploaded["ETag"], "PartNumber": 1}]},
            **SSEC,
        )
        second = c.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        aborted = c.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=second)
        pending = c.list_multipart_uploads(Bucket=bucket, Prefix=key)
        blank = lambda d: normalise(d, ignore=("UploadId", "Location"))  # noqa: E731
        return [blank(r) for r in (created, uploaded, listed, done, aborted, pending)]

    status, _ = same(clients, call)
    assert status == "ok"


@pytest.mark.parametrize("size", [1024, 8 * MIB + 1], ids=["single", "multipart"])
@pytest.mark.parametrize("calculation", ["when_required", "when_supported"])
def test_request_checksum_calculation_makes_the_same_object(  # type: ignore[no-untyped-def]
    ministack, mbucket, tmp_path: Path, size: int, calculation: str
) -> None:
    """`request_checksum_calculation`: with 'when_required' no default CRC32 on any request
    of the transfer, with 'when_supported' CRC32 everywhere; the stored checksums as
    boto3's (HeadObject with ChecksumMode, normalised)."""
    src = tmp_path / "src"
    src.write_bytes(os.urandom(size))
    config = {"request_checksum_calculation": calculation}
    real = boto3.client("s3", config=boto3.session.Config(**config), **ministack.client_kwargs())
    ours = s3seal.client("s3", config=s3seal.Config(**config), **ministack.client_kwargs())

    def call(c: Any, bucket: str, key: str) -> Any:
        c.upload_file(str(src), bucket, key)
        with src.open("rb") as f:
            c.put_object(Bucket=bucket, Key=key + "-put", Body=f)
        return [c.head_object(Bucket=bucket, Key=k, ChecksumMode="ENABLED") for k in (key, key + "-put")]

    status, heads = same((real, ours, mbucket), call)
    assert status == "ok"
    assert ["ChecksumCRC32" in head for head in heads] == [calculation == "when_supported"] * 2
