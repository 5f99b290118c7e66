"""Transfers under failure: the server killed mid-transfer, Ctrl-C in a subprocess, and
peak memory of 1 GiB transfers. Nothing may be left behind: no multipart upload (billed
parts), no temporary file, and a pre-existing destination file stays intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import s3seal
import servers
from conftest import SSE_KEY, ignore_sigint, make_bucket
from s3seal import Config, TransferConfig, exceptions

MIB = 1024 * 1024
SSEC = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_KEY}


@pytest.fixture(scope="module")
def doomed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    """A Garage of this module's own, since its tests kill it."""
    server = servers.start_garage(tmp_path_factory.mktemp("doomed-garage"))
    yield server
    server.stop()


def big_file(path: Path, size: int) -> Path:
    with path.open("wb") as f:
        for _ in range(size // (16 * MIB)):
            f.write(os.urandom(16 * MIB))
        f.write(os.urandom(size % (16 * MIB)))
    return path


def impatient_client(server: servers.Server) -> Any:
    """No retries and short timeouts, so a dead server fails the call at once."""
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
    return s3seal.client("s3", config=config, **server.client_kwargs())


class Transfer(threading.Thread):
    """Run a transfer in the background; `past` is set once `mark` bytes have moved."""

    def __init__(self, run: Any, mark: int) -> None:
        super().__init__(daemon=True)
        self.run_transfer, self.mark, self.moved = run, mark, 0
        self.past = threading.Event()
        self.error: BaseException | None = None
        self.ended_at = 0.0

    def progress(self, n: int) -> None:
        self.moved += n
        if self.moved >= self.mark:
            self.past.set()

    def run(self) -> None:
        try:
            self.run_transfer(self.progress)
        except BaseException as e:
            self.error = e
        self.ended_at = time.monotonic()


def kill(server: servers.Server) -> float:
    server.proc.kill()
    server.proc.wait()
    return time.monotonic()


def test_server_killed_mid_upload_leaves_no_upload_behind(doomed, tmp_path: Path) -> None:
    bucket = make_bucket(doomed)
    src = big_file(tmp_path / "src", 300 * MIB)
    client = impatient_client(doomed)
    slow = TransferConfig(max_bandwidth=60 * MIB, max_concurrency=4)
    transfer = Transfer(
        lambda cb: client.upload_file(str(src), bucket, "k", ExtraArgs=SSEC, Callback=cb, Config=slow),
        30 * MIB,
    )
    transfer.start()
    assert transfer.past.wait(60), "the upload never got going"
    killed_at = kill(doomed)
    time.sleep(1.0)
    doomed.restart()  # back while the failed upload is still trying to abort itself
    transfer.join(60)
    assert not transfer.is_alive()
    assert isinstance(transfer.error, (exceptions.BotoCoreError, exceptions.S3UploadFailedError)), (
        transfer.error
    )
    assert transfer.ended_at - killed_at < 15
    check = s3seal.client("s3", **doomed.client_kwargs())
    assert check.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    with pytest.raises(exceptions.ClientError):
        check.head_object(Bucket=bucket, Key="k", **SSEC)


def test_server_killed_mid_download_keeps_the_old_file(doomed, tmp_path: Path) -> None:
    bucket = make_bucket(doomed)
    src = big_file(tmp_path / "src", 200 * MIB)
    s3seal.client("s3", **doomed.client_kwargs()).upload_file(str(src), bucket, "k", ExtraArgs=SSEC)
    dst_dir = tmp_path / "out"
    dst_dir.mkdir()
    dst = dst_dir / "dst"
    dst.write_bytes(b"the previous version")
    client = impatient_client(doomed)
    slow = TransferConfig(max_bandwidth=60 * MIB)
    transfer = Transfer(
        lambda cb: client.download_file(bucket, "k", str(dst), ExtraArgs=SSEC, Callback=cb, Config=slow),
        20 * MIB,
    )
    transfer.start()
    assert transfer.past.wait(60), "the download never got going"
    killed_at = kill(doomed)
    transfer.join(60)
    doomed.restart()
    assert not transfer.is_alive()
    assert isinstance(transfer.error, exceptions.BotoCoreError), transfer.error
    assert transfer.ended_at - killed_at < 15
    assert dst.read_bytes() == b"the previous version"
    assert os.listdir(dst_dir) == ["dst"]


CHILD = textwrap.dedent(
    """
    import signal, sys, s3seal
    # Ctrl-C must work even if this child inherited SIGINT ignored (nohup, `&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    kw = dict(endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
              region_name="us-east-1")
    op, bucket, path = sys.argv[4], sys.argv[5], sys.argv[6]
    client = s3seal.client("s3", **kw)
    moved = 0
    def progress(n):
        global moved
        moved += n
        if moved >= 20 * 1024 * 1024 and moved - n < 20 * 1024 * 1024:
            print("started", flush=True)
    config = s3seal.TransferConfig(max_bandwidth=50 * 1024 * 1024)
    try:
        if op == "upload":
            client.upload_file(path, bucket, "k", Callback=progress, Config=config)
        else:
            client.download_file(bucket, "k", path, Callback=progress, Config=config)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


def interrupt(garage: servers.Server, op: str, bucket: str, path: Path) -> tuple[int, str, float]:
    """Run `op` in a child, SIGINT it once 20 MiB moved; (exit code, output, seconds to exit)."""
    args = [
        sys.executable,
        "-c",
        CHILD,
        garage.url,
        garage.access_key,
        garage.secret_key,
        op,
        bucket,
        str(path),
    ]
    # Started with SIGINT ignored, the harder inheritance (the suite under nohup): the child
    # restores the default handler itself. (test_runtime checks both inheritances.)
    child = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore_sigint
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "started", child.stderr.read() if child.stderr else line
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    return child.returncode, line + out + err, time.monotonic() - sent


def test_ctrl_c_mid_upload_aborts_it(garage, tmp_path: Path) -> None:
    bucket = make_bucket(garage)
    src = big_file(tmp_path / "src", 200 * MIB)
    code, output, seconds = interrupt(garage, "upload", bucket, src)
    assert code == 3 and "interrupted" in output, output
    assert seconds < 5
    client = s3seal.client("s3", **garage.client_kwargs())
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_ctrl_c_mid_download_removes_the_temporary_file(garage, tmp_path: Path) -> None:
    bucket = make_bucket(garage)
    client = s3seal.client("s3", **garage.client_kwargs())
    client.upload_file(str(big_file(tmp_path / "src", 200 * MIB)), bucket, "k")
    out = tmp_path / "out"
    out.mkdir()
    (out / "dst").write_bytes(b"old")
    code, output, seconds = interrupt(garage, "download", bucket, out / "dst")
    assert code == 3 and "interrupted" in output, output
    assert seconds < 5
    assert os.listdir(out) == ["dst"]
    assert (out / "dst").read_bytes() == b"old"


MEMORY_CHILD = textwrap.dedent(
    """
    import signal, sys, s3seal
    # Ctrl-C must work even if this child inherited SIGINT ignored (nohup, `&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    kw = dict(endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
              region_name="us-east-1")
    bucket, src, dst = sys.argv[4], sys.argv[5], sys.argv[6]
    client = s3seal.client("s3", **kw)
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": bytes(range(32))}
    client.upload_file(src, bucket, "big", ExtraArgs=sse)
    client.download_file(bucket, "big", dst, ExtraArgs=sse)
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's peak on Linux.
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
    """
)


def test_one_gib_round_trip_stays_under_256_mib_of_memory(garage, tmp_path: Path) -> None:
    bucket = make_bucket(garage)
    src = big_file(tmp_path / "src", 1024 * MIB)
    dst = tmp_path / "dst"
    args = [sys.executable, "-c", MEMORY_CHILD, garage.url, garage.access_key, garage.secret_key]
    run = subprocess.run([*args, bucket, str(src), str(dst)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    peak_mib = int(run.stdout.strip())
    print(f"peak RSS of a 1 GiB SSE-C upload_file + download_file: {peak_mib} MiB")
    assert peak_mib < 256, f"peak RSS {peak_mib} MiB"
    assert dst.stat().st_size == src.stat().st_size
    with src.open("rb") as a, dst.open("rb") as b:
        while chunk := a.read(64 * MIB):
            assert chunk == b.read(64 * MIB)
