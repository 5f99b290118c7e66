"""Managed transfers on both servers: sizes around the threshold, every SSE mode, every
method; copy with key rotation; callbacks; boto3's errors; nothing left behind on failure."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY
from s3seal import TransferConfig, exceptions

MIB = 1024 * 1024
THRESHOLD = 8 * MIB  # boto3's default multipart_threshold
SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}
OTHER = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": OTHER_KEY}
MODES: dict[str, dict[str, Any]] = {
    "plain": {},
    "sse-c": SSEC,
    "sse-s3": {"ServerSideEncryption": "AES256"},
    "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/s3seal-test-kms-key"},
}
SIZES = [0, 1, THRESHOLD, THRESHOLD + 1, 100 * MIB]


def download_args(mode: str) -> dict[str, Any]:
    """What a GET of an object uploaded in `mode` needs (only SSE-C needs the key)."""
    return SSEC if mode == "sse-c" else {}


def payload(size: int) -> bytes:
    return os.urandom(size)


def leftovers(s3: Any, bucket: str) -> list[Any]:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s}B")
@pytest.mark.parametrize("mode", list(MODES))
def test_file_round_trip(s3, bucket, tmp_path: Path, mode: str, size: int) -> None:
    data = payload(size)
    src = tmp_path / "src"
    src.write_bytes(data)
    s3.upload_file(str(src), bucket, "obj", ExtraArgs=MODES[mode])
    dst = tmp_path / "dst"
    s3.download_file(bucket, "obj", str(dst), ExtraArgs=download_args(mode))
    assert dst.read_bytes() == data
    head = s3.head_object(Bucket=bucket, Key="obj", **download_args(mode))
    assert head["ContentLength"] == size
    parts = -(-size // THRESHOLD)
    assert head["ETag"].endswith(f'-{parts}"') == (size >= THRESHOLD)
    assert sorted(os.listdir(tmp_path)) == ["dst", "src"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s}B")
@pytest.mark.parametrize("mode", list(MODES))
def test_fileobj_round_trip(s3, bucket, mode: str, size: int) -> None:
    data = payload(size)
    s3.upload_fileobj(io.BytesIO(data), bucket, "obj", ExtraArgs=MODES[mode])
    out = io.BytesIO()
    s3.download_fileobj(bucket, "obj", out, ExtraArgs=download_args(mode))
    assert out.getvalue() == data


class Pipe(io.RawIOBase):
    """A non-seekable stream that returns short reads, like a socket or a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(n if n >= 0 else len(self.data), 1 * MIB + 7)
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def test_non_seekable_stream_with_short_reads_uploads_in_parts(s3, bucket) -> None:
    data = payload(20 * MIB + 3)
    s3.upload_fileobj(Pipe(data), bucket, "pipe", ExtraArgs=SSEC)
    assert s3.head_object(Bucket=bucket, Key="pipe", **SSEC)["ETag"].endswith('-3"')
    assert s3seal.download(Bucket=bucket, Key="pipe", client=s3, **SSEC) == data


def test_kms_and_sse_s3_params_reach_the_object(ms3, mbucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(payload(THRESHOLD + 1))
    kms = {**MODES["sse-kms"], "BucketKeyEnabled": True}
    ms3.upload_file(str(src), mbucket, "kms", ExtraArgs=kms)
    head = ms3.head_object(Bucket=mbucket, Key="kms")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"].endswith("alias/s3seal-test-kms-key")
    ms3.upload_file(str(src), mbucket, "s3", ExtraArgs=MODES["sse-s3"])
    assert ms3.head_object(Bucket=mbucket, Key="s3")["ServerSideEncryption"] == "AES256"


def test_sse_c_multipart_needs_the_key_to_read(s3, bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(payload(20 * MIB))
    s3.upload_file(str(src), bucket, "enc", ExtraArgs=SSEC)
    for args in ({}, OTHER):
        with pytest.raises(exceptions.ClientError):
            s3.download_file(bucket, "enc", str(tmp_path / "nope"), ExtraArgs=args)
    assert sorted(os.listdir(tmp_path)) == ["src"]


def test_sse_c_multipart_data_is_encrypted_at_rest_on_garage(garage, tmp_path: Path) -> None:
    from conftest import make_bucket

    bucket = make_bucket(garage)
    s3 = s3seal.client("s3", **garage.client_kwargs())
    marker = b"s3seal-multipart-plaintext-marker-" + os.urandom(8).hex().encode()
    data = (marker + payload(1000)) * (12 * MIB // (len(marker) + 1000))
    s3.upload_fileobj(io.BytesIO(data), bucket, "secret", ExtraArgs=SSEC)
    stored = b"".join(p.read_bytes() for p in Path(garage.workdir).rglob("*") if p.is_file())
    assert marker not in stored
    out = io.BytesIO()
    s3.download_fileobj(bucket, "secret", out, ExtraArgs=SSEC)
    assert out.getvalue() == data


def test_ranged_get_of_an_object_uploaded_in_parts(s3, bucket) -> None:
    data = payload(3 * THRESHOLD)
    s3.upload_fileobj(io.BytesIO(data), bucket, "parts", ExtraArgs=SSEC)
    start, end = THRESHOLD - 100, 2 * THRESHOLD + 100  # spans three parts
    got = s3.get_object(Bucket=bucket, Key="parts", Range=f"bytes={start}-{end}", **SSEC)
    assert got["Body"].read() == data[start : end + 1]
    assert got["ContentRange"] == f"bytes {start}-{end}/{len(data)}"


@pytest.mark.parametrize("size", [THRESHOLD - 1, 2 * THRESHOLD + 5], ids=["single", "multipart"])
def test_copy_rotates_the_sse_c_key(s3, bucket, size: int) -> None:
    data = payload(size)
    s3.put_object(Bucket=bucket, Key="old", Body=data, **SSEC)
    rotate = {
        "CopySourceSSECustomerAlgorithm": "AES256",
        "CopySourceSSECustomerKey": SSE_KEY,
        **OTHER,
    }
    seen: list[int] = []
    s3.copy({"Bucket": bucket, "Key": "old"}, bucket, "new", ExtraArgs=rotate, Callback=seen.append)
    assert sum(seen) == size
    assert s3seal.download(Bucket=bucket, Key="new", client=s3, **OTHER) == data
    with pytest.raises(exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="new", **SSEC)
    etag = s3.head_object(Bucket=bucket, Key="new", **OTHER)["ETag"]
    assert etag.endswith('-3"') == (size > THRESHOLD)


def test_copy_uses_the_source_client_for_the_head(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"x" * 10)
    calls: list[dict[str, Any]] = []

    class Spy:
        def head_object(self, **kw: Any) -> dict[str, Any]:
            calls.append(kw)
            return s3.head_object(**kw)

    s3.copy({"Bucket": bucket, "Key": "src"}, bucket, "dst", SourceClient=Spy())
    assert calls == [{"Bucket": bucket, "Key": "src"}]
    assert s3seal.download(Bucket=bucket, Key="dst", client=s3) == b"x" * 10


def test_progress_is_increments_from_another_thread(s3, bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(payload(20 * MIB + 1))
    calls: list[tuple[int, str]] = []

    def callback(n: int) -> None:
        calls.append((n, threading.current_thread().name))

    s3.upload_file(str(src), bucket, "p", Callback=callback)
    assert sum(n for n, _ in calls) == 20 * MIB + 1
    # Increments as the bytes go, never one total at the end. How many depends on the
    # machine's load: deltas queued while the delivering thread waits for a CPU and the GIL
    # are summed (on a loaded CI machine, 20 MiB came as 12 MiB + 8 MiB).
    assert len(calls) >= 2 and all(n > 0 for n, _ in calls)
    assert threading.main_thread().name not in {t for _, t in calls}
    calls.clear()
    s3.download_file(bucket, "p", str(tmp_path / "dst"), Callback=callback)
    assert sum(n for n, _ in calls) == 20 * MIB + 1
    assert len(calls) >= 2


def test_raising_callback_aborts_the_upload(s3, bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(payload(30 * MIB))

    def callback(n: int) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        s3.upload_file(str(src), bucket, "cb", Callback=callback)
    assert leftovers(s3, bucket) == []
    with pytest.raises(exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="cb")


def test_raising_callback_keeps_the_old_file(s3, bucket, tmp_path: Path) -> None:
    s3.put_object(Bucket=bucket, Key="cb", Body=payload(20 * MIB))
    dst = tmp_path / "dst"
    dst.write_bytes(b"precious")

    def callback(n: int) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        s3.download_file(bucket, "cb", str(dst), Callback=callback)
    assert dst.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["dst"]


def test_callback_may_use_the_client(s3, bucket) -> None:
    """Callbacks run outside s3seal's runtime, so they can make calls of their own."""
    s3.put_object(Bucket=bucket, Key="c", Body=b"12345")
    heads: list[int] = []
    s3.download_fileobj(
        bucket,
        "c",
        io.BytesIO(),
        Callback=lambda n: heads.append(s3.head_object(Bucket=bucket, Key="c")["ContentLength"]),
    )
    assert heads == [5]


def test_object_replaced_mid_download_fails_instead_of_mixing(s3, bucket, server, tmp_path: Path) -> None:
    import boto3

    data = payload(30 * MIB)
    s3.put_object(Bucket=bucket, Key="moving", Body=data)
    other = boto3.client("s3", **server.client_kwargs())
    replaced = threading.Event()

    def callback(n: int) -> None:
        if not replaced.is_set():
            other.put_object(Bucket=bucket, Key="moving", Body=b"new version")
            replaced.set()

    config = TransferConfig(multipart_chunksize=5 * MIB, max_concurrency=1, max_bandwidth=30 * MIB)
    dst = tmp_path / "dst"
    with pytest.raises(exceptions.ClientError) as err:
        s3.download_file(bucket, "moving", str(dst), Callback=callback, Config=config)
    assert err.value.response["Error"]["Code"] in ("PreconditionFailed", "412")
    assert os.listdir(tmp_path) == []


def test_use_threads_false_and_bandwidth_limit(s3, bucket) -> None:
    import time

    data = payload(6 * MIB)
    config = TransferConfig(
        use_threads=False, max_bandwidth=12 * MIB, multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB
    )
    start = time.monotonic()
    s3.upload_fileobj(io.BytesIO(data), bucket, "slow", Config=config)
    # Two parts: the first goes at once, the second waits for the first's 5 MiB at 12 MiB/s.
    assert time.monotonic() - start >= 0.4
    assert s3seal.download(Bucket=bucket, Key="slow", client=s3) == data


def test_boto3_transfer_config_is_accepted(s3, bucket) -> None:
    from boto3.s3.transfer import TransferConfig as BotoConfig

    data = payload(12 * MIB)
    config = BotoConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.upload_fileobj(io.BytesIO(data), bucket, "boto-config", Config=config)
    assert s3.head_object(Bucket=bucket, Key="boto-config")["ETag"].endswith('-3"')


def test_module_level_transfer_helpers(s3, bucket, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(payload(THRESHOLD + 1))
    assert s3seal.upload(Bucket=bucket, Key="f", Filename=src, client=s3, **SSEC) is None
    assert s3seal.upload(Bucket=bucket, Key="o", Fileobj=io.BytesIO(b"obj"), client=s3) is None
    dst = tmp_path / "dst"
    assert s3seal.download(Bucket=bucket, Key="f", Filename=dst, client=s3, **SSEC) is None
    assert dst.read_bytes() == src.read_bytes()
    out = io.BytesIO()
    s3seal.download(Bucket=bucket, Key="o", Fileobj=out, client=s3)
    assert out.getvalue() == b"obj"
    with pytest.raises(ValueError, match="exactly one"):
        s3seal.upload(Bucket=bucket, Key="x", Body=b"1", Filename=src, client=s3)


def test_multipart_primitives(s3, bucket) -> None:
    created = s3.create_multipart_upload(Bucket=bucket, Key="mp", **SSEC)
    upload_id = created["UploadId"]
    assert created["SSECustomerAlgorithm"] == "AES256"
    parts = []
    chunks = [payload(5 * MIB), b"tail"]
    for number, chunk in enumerate(chunks, start=1):
        part = s3.upload_part(
            Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number, Body=chunk, **SSEC
        )
        parts.append({"ETag": part["ETag"], "PartNumber": number})
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2]
    assert [p["Size"] for p in listed["Parts"]] == [5 * MIB, 4]
    uploads = leftovers(s3, bucket)
    assert [u["UploadId"] for u in uploads] == [upload_id]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=upload_id, MultipartUpload={"Parts": parts}, **SSEC
    )
    assert done["ETag"].endswith('-2"') and done["Key"] == "mp"
    assert s3seal.download(Bucket=bucket, Key="mp", client=s3, **SSEC) == b"".join(chunks)
    second = s3.create_multipart_upload(Bucket=bucket, Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=second)
    assert leftovers(s3, bucket) == []


def test_upload_part_copy(s3, bucket) -> None:
    data = payload(6 * MIB)
    s3.put_object(Bucket=bucket, Key="src", Body=data, **SSEC)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="dst")["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=SSE_KEY,
    )
    etag = copied["CopyPartResult"]["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="dst",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]},
    )
    assert s3seal.download(Bucket=bucket, Key="dst", client=s3) == data[: 5 * MIB]


def test_local_file_errors_are_oserrors(s3, bucket, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as err:
        s3.upload_file(str(tmp_path / "missing"), bucket, "k")
    assert str(err.value) == f"[Errno 2] No such file or directory: '{tmp_path / 'missing'}'"
    with pytest.raises(IsADirectoryError):
        s3.upload_file(str(tmp_path), bucket, "k")
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    with pytest.raises(FileNotFoundError):
        s3.download_file(bucket, "k", str(tmp_path / "no-such-dir" / "f"))


def test_sha256_of_large_transfer(s3, bucket, tmp_path: Path) -> None:
    """A 100 MiB file through a non-default part size and concurrency, checked by digest."""
    src = tmp_path / "src"
    with src.open("wb") as f:
        for _ in range(10):
            f.write(payload(10 * MIB))
    config = TransferConfig(multipart_chunksize=6 * MIB, max_concurrency=4)
    s3.upload_file(src, bucket, "big", ExtraArgs=SSEC, Config=config)
    dst = tmp_path / "dst"
    s3.download_file(bucket, "big", dst, ExtraArgs=SSEC, Config=config)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (src, dst)]
    assert digest[0] == digest[1]
