"""The benchmark sink: a minimal S3-compatible responder in Rust (benches/sink/).

It stores no data (only sizes and a few headers) and serves synthetic bytes, so a benchmark run
against it measures the S3 *client's* overhead with a server that keeps up. It is a measuring
instrument: never use it as a test server.

    from sink import start
    with start(threads=2) as sink:
        client = boto3.client("s3", **sink.client_kwargs())
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CRATE = HERE / "sink"
# An explicit target directory, so that the binary's path does not depend on $CARGO_TARGET_DIR.
TARGET_DIR = CRATE / "target"
BINARY = TARGET_DIR / "release" / ("s3seal-bench-sink" + (".exe" if os.name == "nt" else ""))
READY_PREFIX = "listening on "


def build() -> Path:
    """Build the sink in release mode (a no-op when it is up to date) and return its binary."""
    cmd = [
        "cargo",
        "build",
        "--release",
        "--quiet",
        "--manifest-path",
        str(CRATE / "Cargo.toml"),
        "--target-dir",
        str(TARGET_DIR),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"building the benchmark sink failed (exit {proc.returncode}): {' '.join(cmd)}")
    return BINARY


@dataclass
class Sink:
    """A running sink: where it listens, client settings for it, how to stop it."""

    url: str
    proc: subprocess.Popen[bytes]

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for boto3.client / s3seal.client. The sink ignores authentication."""
        return {
            "endpoint_url": self.url,
            "aws_access_key_id": "sink",
            "aws_secret_access_key": "sinksecret",
            "region_name": "us-east-1",
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start(threads: int = 2, binary: Path | None = None) -> Sink:
    """Start the sink on a free loopback port with `threads` server threads (building it first
    unless `binary` is given) and return once it accepts connections."""
    exe = binary if binary is not None else build()
    proc = subprocess.Popen([str(exe), "--port", "0", "--threads", str(threads)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    # The sink prints this one line once its socket is listening, and nothing else on stdout.
    line = proc.stdout.readline().decode(errors="replace").strip()
    if not line.startswith(READY_PREFIX):
        Sink(url="", proc=proc).stop()
        raise RuntimeError(f"benchmark sink did not start (exit {proc.returncode}): {line!r}")
    return Sink(url="http://" + line.removeprefix(READY_PREFIX), proc=proc)
