"""One benchmark measurement, run by benches/run.py in a fresh interpreter.

`python benches/worker.py < spec.json` prints one JSON line with the figures. A fresh process
per measurement keeps peak RSS per case and stops one library's warm state (pools, caches,
imports) from helping another. CPU is this process's own user+sys (`getrusage`) over the timed
part only; peak RSS is VmHWM (on Linux a child's `ru_maxrss` starts at its parent's peak). For
S1 on the sink, the sink's CPU over the same window too (`server_pid` in the spec).

The four "libraries" are driven through the same small interface:
- `boto3`: boto3's default client (for S1, `max_pool_connections=64` so 32 threads get their
  own connections; every library gets that);
- `boto3-tuned`: boto3 with `payload_signing_enabled=False` (what boto3 does over https);
- `obstore`: obstore's S3Store, SSE configured on the store, as obstore does it;
- `s3seal`: s3seal with its defaults.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

MiB = 1 << 20
GiB = 1 << 30


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def server_cpu_seconds(pid: int | None) -> float | None:
    """The CPU time of a server process on this machine (all its threads), from the
    scheduler's nanosecond counters; None without a pid or a /proc to read it from."""
    if pid is None:
        return None
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    ns, read = 0, False
    for task in tasks:
        try:
            ns += int((task / "schedstat").read_text().split()[0])
            read = True
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile (or a kernel without schedstat)
    return ns / 1e9 if read else None


# --- the libraries -------------------------------------------------------------------------------


def sse_args(mode: str, key: bytes, kms_key_id: str) -> dict[str, Any]:
    """The boto3 ExtraArgs / request parameters of one encryption mode."""
    return {
        "plain": {},
        "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key},
        "sse-s3": {"ServerSideEncryption": "AES256"},
        "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id},
    }[mode]


# Only the parameters a GET needs: SSE-S3 and SSE-KMS are transparent on reads.
READ_MODES = ("sse-c",)


class BotoLike:
    """boto3, tuned boto3 and s3seal: the same calls, as a boto3 user writes them."""

    def __init__(self, lib: str, spec: dict[str, Any]) -> None:
        self.bucket = spec["bucket"]
        self.sse = sse_args(spec["mode"], bytes.fromhex(spec["sse_key"]), spec["kms_key_id"])
        self.read_sse = self.sse if spec["mode"] in READ_MODES else {}
        pool = {"max_pool_connections": 64} if spec["kind"] == "small" else {}
        if lib == "s3seal":
            import s3seal

            self.client = s3seal.client("s3", config=s3seal.Config(**pool), **spec["server"])
        else:
            import boto3
            from botocore.config import Config

            s3 = {"payload_signing_enabled": False} if lib == "boto3-tuned" else None
            self.client = boto3.client("s3", config=Config(s3=s3, **pool), **spec["server"])

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **self.sse)

    def get(self, key: str) -> int:
        return len(self.client.get_object(Bucket=self.bucket, Key=key, **self.read_sse)["Body"].read())

    def upload_file(self, path: str, key: str) -> None:
        self.client.upload_file(path, self.bucket, key, ExtraArgs=self.sse)

    def download_file(self, key: str, path: str) -> None:
        self.client.download_file(self.bucket, key, path, ExtraArgs=self.read_sse)

    def upload_fileobj(self, path: str, key: str) -> None:
        with open(path, "rb") as f:
            self.client.upload_fileobj(f, self.bucket, key, ExtraArgs=self.sse)

    def download_fileobj(self, key: str, path: str) -> None:
        with open(path, "wb") as f:
            self.client.download_fileobj(self.bucket, key, f, ExtraArgs=self.read_sse)


class Obstore:
    """obstore: encryption is a store setting; files go through `put` and a streamed `get`."""

    def __init__(self, spec: dict[str, Any]) -> None:
        import obstore
        from obstore.store import S3Store

        server = spec["server"]
        config: dict[str, Any] = {}
        mode = spec["mode"]
        if mode == "sse-c":
            config = {
                "server_side_encryption": "sse-c",
                "sse_customer_key_base64": base64.b64encode(bytes.fromhex(spec["sse_key"])).decode(),
            }
        elif mode == "sse-s3":
            config = {"server_side_encryption": "AES256"}
        elif mode == "sse-kms":
            config = {"server_side_encryption": "aws:kms", "sse_kms_key_id": spec["kms_key_id"]}
        self.obstore = obstore
        self.store = S3Store(
            spec["bucket"],
            endpoint=server["endpoint_url"],
            access_key_id=server["aws_access_key_id"],
            secret_access_key=server["aws_secret_access_key"],
            region=server["region_name"],
            virtual_hosted_style_request=False,
            client_options={"allow_http": True, "pool_max_idle_per_host": "64"},
            **config,
        )

    def put(self, key: str, body: bytes) -> None:
        self.obstore.put(self.store, key, body, use_multipart=False)

    def get(self, key: str) -> int:
        return len(self.obstore.get(self.store, key).bytes())

    def upload_file(self, path: str, key: str) -> None:
        self.obstore.put(self.store, key, Path(path))

    def download_file(self, key: str, path: str) -> None:
        with open(path, "wb") as f:
            for chunk in self.obstore.get(self.store, key).stream(min_chunk_size=8 * MiB):
                f.write(chunk)

    def upload_fileobj(self, path: str, key: str) -> None:
        with open(path, "rb") as f:
            self.obstore.put(self.store, key, f)

    download_fileobj = download_file


def library(spec: dict[str, Any]) -> Any:
    return Obstore(spec) if spec["lib"] == "obstore" else BotoLike(spec["lib"], spec)


# --- the measurements ----------------------------------------------------------------------------


def small(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """S1: `threads` Python threads each PUT (then GET) their own 4 keys for `seconds`."""
    threads, seconds, size = spec["threads"], spec["seconds"], spec["size"]
    body = os.urandom(size)
    keys = [[f"s1/{spec['tag']}/{t}/{i}" for i in range(4)] for t in range(threads)]
    for mine in keys:  # create the objects, open the connections, warm every code path
        for k in mine:
            lib.put(k, body)
            lib.get(k)
    server_pid = spec.get("server_pid")
    return {op: timed_loop(lib, op, keys, body, seconds, server_pid) for op in ("put", "get")}


def timed_loop(
    lib: Any, op: str, keys: list[list[str]], body: bytes, seconds: float, server_pid: int | None = None
) -> dict[str, Any]:
    call = (lambda k: lib.put(k, body)) if op == "put" else lib.get
    latencies: list[list[float]] = [[] for _ in keys]
    start = threading.Barrier(len(keys) + 1)

    def work(mine: list[str], lat: list[float]) -> None:
        start.wait()
        deadline = time.perf_counter() + seconds
        i = 0
        while (t := time.perf_counter()) < deadline:
            call(mine[i % len(mine)])
            lat.append(time.perf_counter() - t)
            i += 1

    workers = [threading.Thread(target=work, args=a) for a in zip(keys, latencies, strict=True)]
    for w in workers:
        w.start()
    cpu0, server0 = cpu_seconds(), server_cpu_seconds(server_pid)
    t0 = time.perf_counter()
    start.wait()
    for w in workers:
        w.join()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    server1 = server_cpu_seconds(server_pid)
    lat = sorted(x for per_thread in latencies for x in per_thread)
    out = {
        "ops_s": len(lat) / wall,
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "cpu_us_per_op": cpu / len(lat) * 1e6,
    }
    if server0 is not None and server1 is not None:
        # The server shares the cores: what each request cost it is CPU the client did not get.
        out["server_cpu_us_per_op"] = (server1 - server0) / len(lat) * 1e6
    return out


def medium(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """M1: `count` put_object(Body=bytes) of one object, then `count` get_object().read()."""
    size, count, key = spec["size"], spec["count"], f"m1/{spec['tag']}"
    body = os.urandom(size)
    lib.put(key, body)  # warm-up, not timed
    out = {}
    for op in ("put", "get"):
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        for _ in range(count):
            if op == "put":
                lib.put(key, body)
            elif lib.get(key) != size:
                raise RuntimeError(f"get_object returned the wrong size for {key}")
        out[op] = throughput(size * count, time.perf_counter() - t0, cpu_seconds() - cpu0)
    return out


def throughput(nbytes: int, wall: float, cpu: float) -> dict[str, float]:
    return {"mib_s": nbytes / MiB / wall, "cpu_s_per_gib": cpu / (nbytes / GiB)}


def count_for(seconds: float) -> float:
    """A pure-Python counting loop: iterations per second over `seconds`."""
    n, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            n += 1
    return n / seconds


def transfer(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """L1/L2/L3/X1: managed transfers of one object, in order (`steps`: [op, local path]).

    With `gil` (G1), a pure-Python counting thread runs beside each transfer; its speed is
    reported as a fraction of its solo speed, measured first in this process.
    """
    solo = count_for(spec["solo_seconds"]) if spec.get("gil") else None
    out = {}
    for op, path in spec["steps"]:
        out[op] = one_transfer(lib, op, path, spec["key"], spec["size"], solo)
    return out


def one_transfer(lib: Any, op: str, path: str, key: str, size: int, solo: float | None) -> dict[str, float]:
    stop, counted = threading.Event(), [0.0, 1.0]

    def counter() -> None:
        n, t0 = 0, time.perf_counter()
        while not stop.is_set():
            for _ in range(1000):
                n += 1
        counted[:] = [n, time.perf_counter() - t0]

    side = threading.Thread(target=counter) if solo else None
    if side:
        side.start()
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    if op.startswith("upload"):
        getattr(lib, op)(path, key)
    else:
        getattr(lib, op)(key, path)
    result = throughput(size, time.perf_counter() - t0, cpu_seconds() - cpu0)
    if side and solo:
        stop.set()
        side.join()
        result["gil_fraction"] = counted[0] / counted[1] / solo
        del result["cpu_s_per_gib"]  # it would include the counting thread's own CPU
    return result


def concurrent(lib: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """C1: `threads` Python threads each upload_file the source, then each download_file it."""
    threads, size, dest = spec["threads"], spec["size"], Path(spec["dest"])
    keys = [f"c1/{spec['tag']}/{i}" for i in range(threads)]
    jobs = {
        "upload": [lambda k=k: lib.upload_file(spec["path"], k) for k in keys],
        "download": [
            lambda i=i, k=k: lib.download_file(k, str(dest / f"{i}.bin")) for i, k in enumerate(keys)
        ],
    }
    out = {}
    for phase, calls in jobs.items():
        errors: list[BaseException] = []

        workers = [threading.Thread(target=run_catching, args=(c, errors)) for c in calls]
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if errors:
            raise errors[0]
        out[phase] = throughput(size * threads, time.perf_counter() - t0, cpu_seconds() - cpu0)
    return out


def run_catching(call: Any, errors: list[BaseException]) -> None:
    try:
        call()
    except BaseException as e:
        errors.append(e)


KINDS = {"small": small, "medium": medium, "transfer": transfer, "concurrent": concurrent}


def main() -> None:
    # On stdin, not argv: the spec holds the SSE-C key, and argv is visible to `ps`.
    spec = json.loads(sys.stdin.read())
    result = KINDS[spec["kind"]](library(spec), spec)
    result["rss_mib"] = peak_rss_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
