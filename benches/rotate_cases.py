"""The rotation group of the benchmark suite (issue 15): re-keying SSE-C objects.

**R1**: N objects of 256 KiB under one prefix (N = 2,000; quick mode 100), all SSE-C with one
key, are re-keyed onto a new key, by:

- **boto3**: the loop teams write today: list the prefix (paginator), then one
  ``copy_object(..., CopySourceSSECustomer*=old, SSECustomer*=new)`` per object, in one thread,
  nothing verified. One request per object (plus the listing).
- **s3seal**: ``s3seal.rotate(client, Bucket=, Prefix=, old=, new=)`` with its defaults: every
  object copied *and verified* (a HEAD with the new key echoes its MD5, a HEAD with the old key
  is refused): three requests per object (plus the listing), on a thread pool.

Objects/s is N over the wall time of the whole re-keying, listing included; client CPU is the
measuring process's user+sys over that time, per object. Every run starts from the key the
previous one left (libraries interleaved, the order rotating each repetition), and after each
run the driver checks, unmeasured, a sample of the objects: the new key opens them (size and
MD5 echo) and the old key does not.

On ministack and Garage the server is the limit (ministack answers ~1,500-2,000 requests/s on
these 2 cores, Garage re-encrypts ~250 copies/s), so there the ratio says how much of the server
each client can use; on the sink (which stores nothing and copies nothing) it shows the clients'
own cost.

run.py calls `cases()` and each case's `run_case()`; report.py registers the targets and
appends `notes()`. `python benches/rotate_cases.py < spec.json` is the measuring worker (a fresh
interpreter per measurement, as benches/worker.py); the keys travel on stdin, never in argv.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stats import median_of

HERE = Path(__file__).resolve().parent
GROUP = "R1"
LIBS = ("boto3", "s3seal")
SIZE = 256 * 1024
PREFIX = "r1/"
SAMPLE = 10  # objects checked after each run


# --- the cases -----------------------------------------------------------------------------------


@dataclass
class RotateCase:
    """A case of the rotation group: the shape of run.Case, with its own libraries and driver."""

    group: str
    name: str
    server: str
    spec: dict[str, Any]
    outputs: dict[str, str]
    libs: tuple[str, ...] = LIBS
    prepare: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.group} {self.name}"

    def run_case(self, bench: Any, reps: int) -> dict[str, Any]:
        """Populate once, then every library `reps` times, interleaved, each run re-keying all
        objects from the key the previous run left to a new one; medians per library."""
        count, bucket = self.spec["count"], "bench"
        names = [f"{PREFIX}{i:06d}" for i in range(count)]
        key = secrets.token_bytes(32)
        populate(bench.servers[self.server], bucket, names, key)
        runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in self.libs}
        for rep in range(reps):
            k = rep % len(self.libs)
            for lib in self.libs[k:] + self.libs[:k]:
                new = secrets.token_bytes(32)
                spec = {
                    **self.spec,
                    "lib": lib,
                    "bucket": bucket,
                    "prefix": PREFIX,
                    "server": bench.servers[self.server],
                    "old": key.hex(),
                    "new": new.hex(),
                }
                try:
                    runs[lib].append(run_worker(spec))
                except WorkerFailed as e:
                    raise RuntimeError(f"{self.title} on {self.server}, {lib}:\n{e.stderr[-3000:]}") from e
                check_sample(bench.ref(self.server), bucket, names, key, new)
                key = new
        medians = {lib: median_of(rs) for lib, rs in runs.items() if rs}
        return {"case": self, "medians": medians, "failed": {}, "libs": self.libs}


def cases(z: Any) -> list[RotateCase]:
    """The group at the suite's sizes: `z` is run.FULL or run.QUICK (quick: 100 objects, and
    no Garage, whose copies are slow)."""
    quick = z.reps == 1
    count = 100 if quick else 2000
    servers = ("ministack", "sink") if quick else ("ministack", "garage", "sink")
    return [
        RotateCase(
            GROUP,
            f"{count} x {SIZE // 1024} KiB SSE-C",
            server,
            {"kind": "rotate", "count": count},
            {"rotate": "re-key (objects/s)"},
        )
        for server in servers
    ]


def populate(server: dict[str, str], bucket: str, names: list[str], key: bytes) -> None:
    """The objects, written with s3seal on 16 threads (not measured)."""
    import s3seal

    client = s3seal.client("s3", config=s3seal.Config(max_pool_connections=16), **server)
    body = os.urandom(SIZE)
    sse = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda name: client.put_object(Bucket=bucket, Key=name, Body=body, **sse), names))


def check_sample(ref: Any, bucket: str, names: list[str], old: bytes, new: bytes) -> None:
    """After a run, with boto3 (not measured): a sample of the objects opens with the new key
    only, at their full size."""
    import base64
    import hashlib

    new_md5 = base64.b64encode(hashlib.md5(new).digest()).decode()
    for name in [names[0], names[-1], *random.sample(names, min(SAMPLE, len(names)))]:
        head = ref.head_object(Bucket=bucket, Key=name, SSECustomerAlgorithm="AES256", SSECustomerKey=new)
        if head["ContentLength"] != SIZE or head.get("SSECustomerKeyMD5") != new_md5:
            raise RuntimeError(f"{name}: not on the new key after the run: {head}")
        try:
            ref.head_object(Bucket=bucket, Key=name, SSECustomerAlgorithm="AES256", SSECustomerKey=old)
        except Exception as err:
            if getattr(err, "response", {}).get("Error", {}).get("Code") not in ("400", "403"):
                raise
        else:
            raise RuntimeError(f"{name}: the old key still opens it after the run")


class WorkerFailed(RuntimeError):
    def __init__(self, summary: str, stderr: str) -> None:
        super().__init__(summary)
        self.stderr = stderr


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "rotate_cases.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise WorkerFailed(lines[-1] if lines else "no output", out.stderr)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def notes(rows: list[dict[str, Any]]) -> list[str]:
    """A paragraph under the report's tables when the group ran: what the two columns do."""
    if not any(r["group"] == GROUP for r in rows):
        return []
    return [
        "",
        "## R1: re-keying SSE-C objects",
        "",
        "boto3: a listing then one `copy_object` per object in one thread, nothing verified (1 request",
        "per object). s3seal: `s3seal.rotate` with its defaults, every object verified (CopyObject, HEAD",
        "with the new key, HEAD with the old key refused: 3 requests per object), on its thread pool.",
        "On ministack and Garage the server caps both; the sink shows the clients' own cost.",
    ]


# --- the worker ----------------------------------------------------------------------------------


def cpu_seconds() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def boto3_loop(spec: dict[str, Any], old: bytes, new: bytes) -> Callable[[], int]:
    """What teams write today."""
    import boto3

    s3 = boto3.client("s3", **spec["server"])
    bucket = spec["bucket"]

    def run() -> int:
        done = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=spec["prefix"]):
            for obj in page.get("Contents", []):
                s3.copy_object(
                    Bucket=bucket,
                    Key=obj["Key"],
                    CopySource={"Bucket": bucket, "Key": obj["Key"]},
                    CopySourceSSECustomerAlgorithm="AES256",
                    CopySourceSSECustomerKey=old,
                    SSECustomerAlgorithm="AES256",
                    SSECustomerKey=new,
                )
                done += 1
        return done

    return run


def s3seal_rotate(spec: dict[str, Any], old: bytes, new: bytes) -> Callable[[], int]:
    import s3seal
    from s3seal.keys import CustomerKey

    s3 = s3seal.client("s3", **spec["server"])
    old_key, new_key = CustomerKey.from_bytes(old), CustomerKey.from_bytes(new)

    def run() -> int:
        report = s3seal.rotate(s3, Bucket=spec["bucket"], Prefix=spec["prefix"], old=old_key, new=new_key)
        if not report.ok or report.skipped or report.foreign:
            raise RuntimeError(report.summary()[:2000])
        return len(report.rotated)

    return run


def main() -> None:
    # On stdin, not argv: the spec holds the keys, and argv is visible to `ps`.
    spec = json.loads(sys.stdin.read())
    old, new = bytes.fromhex(spec["old"]), bytes.fromhex(spec["new"])
    # Imports and the client are made before the clock starts, as in a long-lived program.
    run = (boto3_loop if spec["lib"] == "boto3" else s3seal_rotate)(spec, old, new)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    done = run()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    if done != spec["count"]:
        raise RuntimeError(f"{spec['lib']} re-keyed {done} objects, expected {spec['count']}")
    result = {"rotate": {"ops_s": done / wall, "cpu_us_per_op": cpu / done * 1e6}, "rss_mib": peak_rss_mib()}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
