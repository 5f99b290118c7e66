"""Re-keying (s3seal.rotate) on ministack and Garage: every object rotated and verified
byte-exact with its metadata, tags and storage class; resumable, idempotent, dry run, foreign
objects untouched, data encrypted at rest, and the same through a spawned process pool."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import s3seal
from conftest import OTHER_KEY, SSE_KEY, make_bucket
from s3seal.keys import KEY_TAG, CustomerKey, KeyRing, record_key_tag
from s3seal.rotate import ObjectResult, main_rotate, rotate

MiB = 2**20
CONFIG = s3seal.TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
BIG = "data/big.bin"  # above the multipart threshold: rotated with UploadPartCopy
MARKER = b"ROTATE-PLAINTEXT-MARKER-"


def body(i: int) -> bytes:
    if i == 0:
        return b""
    if i == 1:
        return os.urandom(11 * MiB)
    size = 300_000 if i % 50 == 7 else (i * 997) % 40_000
    return (MARKER + os.urandom(16)) * (size // 40 + 1)


def populate(client: Any, bucket: str, key: CustomerKey, n: int, prefix: str = "data/") -> dict[str, bytes]:
    """``n`` objects of mixed sizes with metadata, content type, tags and (some) a storage class."""
    objects = {f"{prefix}big.bin" if i == 1 else f"{prefix}{i:04d}": body(i) for i in range(n)}

    def put(item: tuple[int, tuple[str, bytes]]) -> None:
        i, (name, data) = item
        extra: dict[str, Any] = {
            "Metadata": {"idx": str(i), "owner": "rotate-test"},
            "ContentType": f"application/x-test-{i % 3}",
            "CacheControl": "max-age=60",
            "ContentDisposition": f"attachment; filename=f{i}.bin",
            "Tagging": f"team=t{i % 3}&idx={i}",
            "ChecksumAlgorithm": ("CRC32", "SHA256", "SHA1")[i % 3],  # CRC32C needs botocore[crt]
            **key.params(),
        }
        if i % 4 == 0:
            extra["StorageClass"] = "STANDARD_IA"
        client.put_object(Bucket=bucket, Key=name, Body=data, **extra)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, enumerate(objects.items())))
    return objects


def attributes(client: Any, bucket: str, name: str, key: CustomerKey) -> dict[str, Any]:
    head = client.head_object(Bucket=bucket, Key=name, ChecksumMode="ENABLED", **key.params())
    names = ("ContentType", "Metadata", "StorageClass", "CacheControl", "ContentLength", "ContentDisposition")
    kept = {k: head.get(k) for k in (*names, *(k for k in head if k.startswith("Checksum")))}
    try:
        kept["tags"] = sorted(
            (t["Key"], t["Value"]) for t in client.get_object_tagging(Bucket=bucket, Key=name)["TagSet"]
        )
    except Exception as err:  # Garage has no object tagging
        assert err.response["Error"]["Code"] in {"NotImplemented", "501"}  # type: ignore[attr-defined]
    return kept


def all_attributes(client: Any, bucket: str, names: Any, key: CustomerKey) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(8) as pool:
        return dict(
            zip(names, pool.map(lambda name: attributes(client, bucket, name, key), names), strict=True)
        )


def refused(client: Any, bucket: str, name: str, key: CustomerKey) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=name, **key.params())
    except Exception as err:
        return err.response["Error"]["Code"] in {"400", "403"}  # type: ignore[attr-defined]
    return False


def assert_rotated(
    client: Any, bucket: str, objects: dict[str, bytes], old: CustomerKey, new: CustomerKey
) -> None:
    def check(name: str) -> None:
        got = client.get_object(Bucket=bucket, Key=name, **new.params())["Body"].read()
        assert got == objects[name], name
        assert refused(client, bucket, name, old), f"the old key still opens {name}"

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(check, objects))


def add_foreign(client: Any, bucket: str) -> set[str]:
    """Objects under the prefix that no key of ``old`` opens."""
    stranger = CustomerKey.generate()
    client.put_object(Bucket=bucket, Key="data/foreign-1", Body=b"other key", **stranger.params())
    client.put_object(Bucket=bucket, Key="data/foreign-2", Body=b"x" * 7000, **stranger.params())
    client.put_object(Bucket=bucket, Key="data/plain", Body=b"not encrypted")
    return {"data/foreign-1", "data/foreign-2", "data/plain"}


def test_rotation_rekeys_everything_and_is_idempotent(server: Any, tmp_path: Path) -> None:
    client: Any = s3seal.client("s3", **server.client_kwargs())
    bucket = make_bucket(server)
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(client, bucket, old, 2000)  # the issue: 2,000 objects of mixed sizes
    outside = populate(client, bucket, old, 3, prefix="other/")
    foreign = add_foreign(client, bucket)
    before = all_attributes(client, bucket, list(objects), old)
    assert before[BIG]["Metadata"] == {"idx": "1", "owner": "rotate-test"}
    assert "ChecksumSHA1" in before["data/0002"] and "ChecksumSHA256" in before["data/0004"]

    # A dry run reports and changes nothing, not even the journal.
    journal = tmp_path / "journal.jsonl"
    dry = rotate(
        client, Bucket=bucket, Prefix="data/", old=old, new=new, dry_run=True, journal=journal, Config=CONFIG
    )
    assert sorted(dry.pending) == sorted(objects) and not dry.rotated and not journal.exists()
    assert {k for k, _ in dry.foreign} == foreign
    assert all(not refused(client, bucket, name, old) for name in (BIG, "data/0002"))

    recorder = RecordingClient(client)
    report = rotate(
        recorder, Bucket=bucket, Prefix="data/", old=KeyRing([old]), new=new, journal=journal, Config=CONFIG
    )
    print(report.summary())
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    assert dict(report.foreign) == {
        "data/foreign-1": "SSE-C with a key that is not in `old`",
        "data/foreign-2": "SSE-C with a key that is not in `old`",
        "data/plain": "not encrypted with SSE-C",
    }
    assert_rotated(client, bucket, objects, old, new)
    after = all_attributes(client, bucket, list(objects), new)
    # The multipart copy (forced by CONFIG) cannot keep a full-object SHA256: S3 gives the
    # object a checksum of its parts (Garage: COMPOSITE; ministack: none). All others are kept.
    checksum = {k: v for k, v in before[BIG].items() if k.startswith("Checksum")}
    for attrs in (before[BIG], after[BIG]):
        for name in [k for k in attrs if k.startswith("Checksum")]:
            del attrs[name]
    assert after == before
    assert checksum == {"ChecksumSHA256": checksum["ChecksumSHA256"], "ChecksumType": "FULL_OBJECT"}
    if server.name == "ministack":
        # ministack keeps an overwritten key's tags by itself (S3 does not, and a multipart
        # copy starts without tags): check that the rotation sends them.
        sent = recorder.copies[BIG]
        assert (sent["Tagging"], sent["TaggingDirective"]) == ("team=t1&idx=1", "REPLACE")
    assert client.get_object(Bucket=bucket, Key="data/plain")["Body"].read() == b"not encrypted"
    for name in outside:  # outside the prefix: untouched
        assert client.head_object(Bucket=bucket, Key=name, **old.params())["SSECustomerKeyMD5"] == old.md5

    # Again, without the journal: every object is found on the new key and skipped.
    again = rotate(client, Bucket=bucket, Prefix="data/", old=old, new=new, Config=CONFIG)
    assert not again.rotated and sorted(again.skipped) == sorted(objects) and again.ok

    if server.name == "garage":  # the re-keyed data is still encrypted at rest
        stored = b"".join(p.read_bytes() for p in (server.workdir / "data").rglob("*") if p.is_file())
        assert MARKER not in stored, "SSE-C data found in plaintext"


class RecordingClient:
    """A client wrapper keeping the ExtraArgs of each managed copy and every call it forwards
    (operation name and parameters, in order; appending to a list is thread-safe)."""

    def __init__(self, client: Any) -> None:
        self.client: Any = client
        self.copies: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def copy(self, CopySource: Any, Bucket: str, Key: str, ExtraArgs: dict[str, Any], **kwargs: Any) -> None:
        self.copies[Key] = ExtraArgs
        self.calls.append(("copy", {"Key": Key, **ExtraArgs}))
        self.client.copy(CopySource, Bucket, Key, ExtraArgs=ExtraArgs, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name.startswith("get_paginator") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return attr(*args, **kwargs)

        return call

    def per_key(self) -> dict[str, list[str]]:
        """The operations each object key got, in order."""
        out: dict[str, list[str]] = {}
        for name, kwargs in self.calls:
            if "Key" in kwargs:
                out.setdefault(kwargs["Key"], []).append(name)
        return out


class Interrupt(Exception):
    pass


def test_interrupted_rotation_resumes_without_repeats(ms3: Any, mbucket: str, tmp_path: Path) -> None:
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(ms3, mbucket, old, 120)
    journal = tmp_path / "journal.jsonl"
    seen: list[ObjectResult] = []

    def stop_half_way(result: ObjectResult) -> None:
        seen.append(result)
        if len(seen) == 50:
            raise Interrupt

    with pytest.raises(Interrupt):
        rotate(
            ms3,
            Bucket=mbucket,
            Prefix="data/",
            old=old,
            new=new,
            journal=journal,
            Callback=stop_half_way,
            Config=CONFIG,
        )
    first = [json.loads(line) for line in journal.read_text().splitlines()]
    first_rotated = {e["key"] for e in first if e["status"] == "rotated"}
    assert 50 <= len(first_rotated) < len(objects)
    with journal.open("a") as f:
        f.write(
            '{"key": "data/0',
        )  # a line cut short by a crash

    report = rotate(ms3, Bucket=mbucket, Prefix="data/", old=old, new=new, journal=journal, Config=CONFIG)
    assert report.ok and set(report.skipped) == first_rotated
    assert not set(report.rotated) & first_rotated
    assert set(report.rotated) | first_rotated == set(objects)
    lines = journal.read_text().splitlines()
    rotated_entries = [
        json.loads(x)["key"] for x in lines if x.startswith("{") and x.endswith("}") and '"rotated"' in x
    ]
    assert sorted(rotated_entries) == sorted(objects), "an object was rotated twice or missed"
    assert_rotated(ms3, mbucket, objects, old, new)


@pytest.mark.usefixtures("env_credentials")
def test_killed_rotation_resumes_from_its_journal(ministack: Any, mbucket: str, tmp_path: Path) -> None:
    """SIGKILL half-way (no cleanup at all), then resume: nothing rotated twice, nothing missed."""
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(client, mbucket, old, 200)
    (tmp_path / "a.key").write_bytes(SSE_KEY)
    (tmp_path / "b.key").write_bytes(OTHER_KEY)
    journal = tmp_path / "journal.jsonl"
    argv = [f"s3://{mbucket}/data/", "--old-key", f"fileb://{tmp_path / 'a.key'}"]
    argv += ["--new-key", f"fileb://{tmp_path / 'b.key'}", "--journal", str(journal)]
    argv += ["--endpoint-url", ministack.url, "--region", "us-east-1", "--max-concurrency", "1"]
    code = "import sys; from s3seal.rotate import main_rotate; sys.exit(main_rotate(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(Path(s3seal.__file__).parent.parent)}
    proc = subprocess.Popen([sys.executable, "-c", code, *argv], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (journal.exists() and journal.read_text().count("\n") >= 40):
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    first = [json.loads(x)["key"] for x in journal.read_text().splitlines() if x.endswith("}")]
    assert 40 <= len(first) < len(objects)

    report = rotate(client, Bucket=mbucket, Prefix="data/", old=old, new=new, journal=journal, Config=CONFIG)
    assert report.ok and not set(report.rotated) & set(first)
    # What was in flight when the kill came may have been copied but not yet journaled: up
    # to the window of 2 * max_concurrency units of one object each (a unit can finish while
    # the thread that journals is still waiting to run). Those are found on the new key, not
    # copied again.
    unjournaled = set(report.skipped) - set(first)
    assert len(unjournaled) <= 2
    assert set(report.rotated) | set(first) | unjournaled == set(objects)
    rotated = [
        json.loads(x)["key"] for x in journal.read_text().splitlines() if '"rotated"' in x and x.endswith("}")
    ]
    assert len(rotated) == len(set(rotated)), "an object was rotated twice"
    assert_rotated(client, mbucket, objects, old, new)


@pytest.fixture
def env_credentials(ministack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ministack.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ministack.secret_key)


@pytest.mark.usefixtures("env_credentials")
@pytest.mark.parametrize("start", ["spawn", "fork"])
def test_rotation_through_a_process_pool(
    start: str, ministack: Any, mbucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work units cross the process boundary as configuration: the client without credentials,
    the old key as an environment reference and the new one as a file path."""
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    (tmp_path / "new.key").write_bytes(OTHER_KEY)
    monkeypatch.setenv("ROTATE_OLD_BASE64", CustomerKey.from_bytes(SSE_KEY).b64)
    old, new = CustomerKey.from_env("ROTATE_OLD"), CustomerKey.from_file(tmp_path / "new.key")
    objects = populate(client, mbucket, old, 40)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context(start)) as pool:
        with pytest.raises(TypeError, match="raw key material"):  # a key without a reference stays home
            rotate(
                client,
                Bucket=mbucket,
                Prefix="data/",
                old=CustomerKey.from_bytes(SSE_KEY),
                new=new,
                executor=pool,
            )
        report = rotate(
            client,
            Bucket=mbucket,
            Prefix="data/",
            old=old,
            new=new,
            executor=pool,
            batch_size=8,
            Config=CONFIG,
        )
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    assert_rotated(client, mbucket, objects, old, new)


@pytest.mark.usefixtures("env_credentials")
def test_rotation_on_a_dask_cluster(
    ministack: Any, mbucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dask.distributed's executor (a LocalCluster of 2 worker processes): the work units reach
    the workers as configuration and key references, and every object is rotated once."""
    from dask.distributed import Client, LocalCluster, get_task_stream

    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    (tmp_path / "new.key").write_bytes(OTHER_KEY)
    monkeypatch.setenv("ROTATE_OLD_BASE64", CustomerKey.from_bytes(SSE_KEY).b64)
    old, new = CustomerKey.from_env("ROTATE_OLD"), CustomerKey.from_file(tmp_path / "new.key")
    objects = populate(client, mbucket, old, 60)  # BIG included: UploadPartCopy on a worker
    journal = tmp_path / "journal.jsonl"
    # The workers inherit this process's environment (credentials, ROTATE_OLD_*) at their start.
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as dask, get_task_stream(dask) as tasks:
            workers = set(dask.scheduler_info()["workers"])
            with pytest.raises(TypeError, match="raw key material"):  # never sent as bytes
                rotate(
                    client,
                    Bucket=mbucket,
                    Prefix="data/",
                    old=CustomerKey.from_bytes(SSE_KEY),
                    new=new,
                    executor=dask.get_executor(),
                )
            report = rotate(
                client,
                Bucket=mbucket,
                Prefix="data/",
                old=old,
                new=new,
                executor=dask.get_executor(),
                max_concurrency=4,
                batch_size=8,
                journal=journal,
                Config=CONFIG,
            )
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    ran = [t for t in tasks.data if t["key"].startswith("_rotate_batch")]
    assert len(ran) == -(-len(objects) // 8) and {t["worker"] for t in ran} <= workers
    journaled = [json.loads(line)["key"] for line in journal.read_text().splitlines()]
    assert sorted(journaled) == sorted(objects), "an object was journaled twice or missed"
    assert_rotated(client, mbucket, objects, old, new)


@pytest.mark.usefixtures("env_credentials")
def test_rotate_command(
    ministack: Any, mbucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.key").write_bytes(SSE_KEY)
    (tmp_path / "b.key").write_bytes(OTHER_KEY)
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(client, mbucket, old, 5)
    common = [
        f"s3://{mbucket}/data/",
        "--old-key",
        f"fileb://{tmp_path / 'a.key'}",
        "--new-key",
        f"fileb://{tmp_path / 'b.key'}",
    ]
    common += ["--endpoint-url", ministack.url, "--region", "us-east-1"]
    assert main_rotate([*common, "--dryrun"]) == 0
    assert "would rotate 5," in capsys.readouterr().out
    assert main_rotate([*common, "--journal", str(tmp_path / "j")]) == 0
    out = capsys.readouterr().out
    assert "rotated 5," in out and new.md5 in out
    assert_rotated(client, mbucket, objects, old, new)
    # A bad key reference is a parameter error: the AWS CLI v2 code every s3seal command uses.
    assert main_rotate([*common[:3], "--new-key", "AAAA"]) == 252
    assert "never given on a command line" in capsys.readouterr().err


def test_a_failed_object_is_reported_and_fails_the_command(
    ministack: Any,
    mbucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rotation = importlib.import_module("s3seal.rotate")  # s3seal.rotate is the function

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ministack.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ministack.secret_key)
    client = s3seal.client("s3", endpoint_url=ministack.url, region_name="us-east-1")
    old = CustomerKey.from_bytes(SSE_KEY)
    objects = populate(client, mbucket, old, 6)
    real_copy = rotation._copy_to_new_key

    def copy_fails_once(client: Any, target: dict[str, str], extra: dict[str, Any]) -> Any:
        if target["Key"] == "data/0003":  # an error quoting a key, as botocore's validation errors do
            raise RuntimeError(f"refused: {extra['CopySourceSSECustomerKey']} {extra['SSECustomerKey']}")
        return real_copy(client, target, extra)

    monkeypatch.setattr(rotation, "_copy_to_new_key", copy_fails_once)
    (tmp_path / "a.key").write_bytes(SSE_KEY)
    (tmp_path / "b.key").write_bytes(OTHER_KEY)
    argv = [f"s3://{mbucket}/data/", "--old-key", f"fileb://{tmp_path / 'a.key'}"]
    argv += [
        "--new-key",
        f"fileb://{tmp_path / 'b.key'}",
        "--endpoint-url",
        ministack.url,
        "--region",
        "us-east-1",
    ]
    assert main_rotate(argv) == 1
    out = capsys.readouterr().out
    assert "rotated 5," in out and "FAILED: data/0003: RuntimeError: refused: <redacted> <redacted>" in out
    assert client.head_object(Bucket=mbucket, Key="data/0003", **old.params())["ContentLength"] == len(
        objects["data/0003"]
    )


def test_versioned_bucket_keeps_old_versions_and_says_so(ms3: Any, mbucket: str) -> None:
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    ms3.put_bucket_versioning(Bucket=mbucket, VersioningConfiguration={"Status": "Enabled"})
    ms3.put_object(Bucket=mbucket, Key="v", Body=b"one", **old.params())
    first = ms3.list_object_versions(Bucket=mbucket)["Versions"][0]["VersionId"]
    report = rotate(ms3, Bucket=mbucket, old=old, new=new)
    assert report.rotated == ["v"] and report.versioned and "previous versions" in report.summary()
    assert ms3.get_object(Bucket=mbucket, Key="v", VersionId=first, **old.params())["Body"].read() == b"one"


def test_rotation_with_a_boto3_client(mboto: Any, mbucket: str) -> None:
    """rotate() only uses boto3's API: a boto3 client (and its TransferConfig) works too."""
    from boto3.s3.transfer import TransferConfig

    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(mboto, mbucket, old, 12)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    report = rotate(mboto, Bucket=mbucket, Prefix="data/", old=old, new=new, Config=config)
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    assert_rotated(mboto, mbucket, objects, old, new)
    head = mboto.head_object(Bucket=mbucket, Key=BIG, **new.params())
    assert (
        head["Metadata"] == {"idx": "1", "owner": "rotate-test"}
        and head["ContentType"] == "application/x-test-1"
    )


def test_rotation_maintains_the_key_tag(ms3: Any, mbucket: str) -> None:
    keys = [CustomerKey.generate() for _ in range(3)]
    new = CustomerKey.generate()
    for i, key in enumerate(keys):
        ms3.put_object(Bucket=mbucket, Key=f"t{i}", Body=b"x", Tagging="team=a", **key.params())
        record_key_tag(ms3, key, Bucket=mbucket, Key=f"t{i}")
    report = rotate(ms3, Bucket=mbucket, old=KeyRing(keys), new=new, key_tag=True)
    assert sorted(report.rotated) == ["t0", "t1", "t2"]
    for i in range(3):
        tags = {t["Key"]: t["Value"] for t in ms3.get_object_tagging(Bucket=mbucket, Key=f"t{i}")["TagSet"]}
        assert tags == {"team": "a", KEY_TAG: new.md5}


def test_three_requests_per_object_and_what_the_copy_sends(server: Any) -> None:
    """The common case: one CopyObject (copy-source key, listed ETag, storage class; metadata and
    tags kept by the copy itself), a HEAD with the new key, a HEAD with the old key; nothing
    else. Objects the first key does not open are looked at: a two-key ring, foreign objects."""
    client: Any = s3seal.client("s3", **server.client_kwargs())
    bucket = make_bucket(server)
    old, older, new = (
        CustomerKey.from_bytes(SSE_KEY),
        CustomerKey.generate(),
        CustomerKey.from_bytes(OTHER_KEY),
    )
    objects = populate(client, bucket, old, 30)
    objects.update(populate(client, bucket, older, 6, prefix="data/z"))  # listed last
    for big in (BIG, "data/zbig.bin"):  # multipart: looked at first (tested above)
        del objects[big]
        client.delete_object(Bucket=bucket, Key=big)
    foreign = add_foreign(client, bucket)
    before = {
        name: attributes(client, bucket, name, older if name.startswith("data/z") else old)
        for name in objects
    }
    recorder = RecordingClient(client)
    # One thread, so that the order of the objects (and of the key hints) is the listing's.
    report = rotate(
        recorder, Bucket=bucket, Prefix="data/", old=KeyRing([old, older]), new=new, max_concurrency=1
    )
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    assert {k for k, _ in report.foreign} == foreign
    calls = recorder.per_key()
    for name in objects:
        if name == "data/z0000":
            continue  # the first object on `older`: the copy with `old` was refused, see below
        assert calls[name] == ["copy_object", "head_object", "head_object"], name
    copies = {kw["Key"]: kw for op, kw in recorder.calls if op == "copy_object"}
    first = copies["data/0002"]
    etag = client.head_object(Bucket=bucket, Key="data/0002", **new.params())["ETag"]
    assert first["CopySourceIfMatch"] and "MetadataDirective" not in first and "TaggingDirective" not in first
    assert first["CopySourceSSECustomerKeyMD5"] == old.md5 and first["SSECustomerKeyMD5"] == new.md5
    if server.name == "ministack":  # Garage has one storage class, STANDARD, and lists that
        assert copies["data/0004"]["StorageClass"] == "STANDARD_IA" and "StorageClass" not in first
        assert etag == first["CopySourceIfMatch"]  # ministack keeps the ETag of a copied object
    # The first `older` object: a copy with `old` (refused, nothing changed), HEADs to find its
    # key (`old`, `older`), then the copy and the verification; the next ones go straight.
    assert calls["data/z0000"] == ["copy_object", *["head_object"] * 2, "copy_object", *["head_object"] * 2]
    assert calls["data/z0002"] == ["copy_object", "head_object", "head_object"]
    for name in foreign:  # one refused copy, then looked at: never written
        assert calls[name][0] == "copy_object" and calls[name].count("copy_object") == 1
    for name in ("data/foreign-1", "data/foreign-2"):  # still on their own key: none of ours opens them
        assert all(refused(client, bucket, name, key) for key in (old, older, new)), name
    assert client.get_object(Bucket=bucket, Key="data/plain")["Body"].read() == b"not encrypted"
    assert_rotated(client, bucket, objects, old, new)
    assert all(refused(client, bucket, name, older) for name in objects)
    assert {name: attributes(client, bucket, name, new) for name in objects} == before


def test_an_object_rewritten_after_the_listing_is_not_overwritten_with_a_stale_copy(
    ms3: Any, mbucket: str
) -> None:
    """The copy names the listed ETag: an object rewritten in between is refused (412), then
    looked at again and rotated as it is now."""
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(ms3, mbucket, old, 8)

    class Rewriting(RecordingClient):
        """Rewrites data/0005 (still on the old key) just before its first copy."""

        rewritten = False

        def copy_object(self, **kwargs: Any) -> Any:
            if kwargs["Key"] == "data/0005" and not self.rewritten:
                self.rewritten = True
                ms3.put_object(Bucket=mbucket, Key="data/0005", Body=b"rewritten", **old.params())
            self.calls.append(("copy_object", kwargs))
            return ms3.copy_object(**kwargs)

    client = Rewriting(ms3)
    report = rotate(client, Bucket=mbucket, Prefix="data/", old=old, new=new)
    assert report.ok and sorted(report.rotated) == sorted(objects), report.summary()
    assert client.per_key()["data/0005"] == [
        "copy_object",
        "head_object",
        "copy_object",
        "head_object",
        "head_object",
    ]
    got = ms3.get_object(Bucket=mbucket, Key="data/0005", **new.params())["Body"].read()
    assert got == b"rewritten" and refused(ms3, mbucket, "data/0005", old)


def test_head_first_keeps_the_website_redirect(server: Any) -> None:
    """S3 (and Garage) drop x-amz-website-redirect-location in a metadata-preserving copy;
    head_first=True looks at each object first and gives it back."""
    client: Any = s3seal.client("s3", **server.client_kwargs())
    bucket = make_bucket(server)
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    client.put_object(
        Bucket=bucket, Key="page", Body=b"p", WebsiteRedirectLocation="/elsewhere", **old.params()
    )
    report = rotate(client, Bucket=bucket, old=old, new=new, head_first=True)
    assert report.rotated == ["page"], report.summary()
    head = client.head_object(Bucket=bucket, Key="page", **new.params())
    assert head["WebsiteRedirectLocation"] == "/elsewhere" and refused(client, bucket, "page", old)


def test_a_report_without_keys_counts_them(ms3: Any, mbucket: str, tmp_path: Path) -> None:
    """report_keys=False (what the command uses): counts instead of key lists, so that memory
    stays bounded over millions of objects; foreign objects are still listed."""
    old, new = CustomerKey.from_bytes(SSE_KEY), CustomerKey.from_bytes(OTHER_KEY)
    objects = populate(ms3, mbucket, old, 12)
    foreign = add_foreign(ms3, mbucket)
    journal = tmp_path / "journal.jsonl"
    kwargs: dict[str, Any] = {"Bucket": mbucket, "Prefix": "data/", "old": old, "new": new, "Config": CONFIG}
    first = rotate(ms3, **kwargs, journal=journal, report_keys=False)
    assert first.ok and not first.rotated and first.counts == {"rotated": 12, "skipped": 0, "pending": 0}
    assert {k for k, _ in first.foreign} == foreign and "rotated 12, skipped 0, foreign 3" in first.summary()
    again = rotate(ms3, **kwargs, journal=journal, report_keys=False)
    assert not again.skipped and again.counts == {"rotated": 0, "skipped": len(objects), "pending": 0}
