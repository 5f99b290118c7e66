"""The benchmark suite: s3seal vs boto3 (default and tuned) and obstore, same servers, same run.

Two kinds of figure (see ../shared/docs/performance.md, issue 4):
1. **Real servers**: ministack for small objects and encryption modes, Garage for large data.
   Both are slower than a good client on these 2 cores, so the client's own CPU (user+sys of
   the measuring process) per op or per GiB matters as much as the throughput.
2. **The sink** (`benches/sink/`): a minimal Rust S3 responder that stores nothing and serves
   synthetic bytes. It is a measuring instrument for client overhead, never a test server:
   there the ratios show what each client can do when the server keeps up.

Every measurement runs in a fresh interpreter (`benches/worker.py`), libraries interleaved
(the order rotates each repetition), each case repeated and the median kept. Downloads are
checked for size, and for content (sha256) on the first repetition against real servers.

Writes benches/results/latest.{md,png} (quick mode: quick.{md,png}, not committed).
Run: `make bench` (about an hour) or `make bench-quick` (< 2 min, a smoke test of every case).
`--only S1,L1` runs some groups only (and writes partial.{md,png}).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stats import median_of

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
sys.path.insert(0, str(HERE))

LIBS = ("boto3", "boto3-tuned", "obstore", "s3seal")
BASELINES = ("boto3", "boto3-tuned", "obstore")
# A baseline that fails a case (an operation it lacks, a server it cannot talk to) is reported
# as missing; s3seal or boto3 failing stops the suite.
OPTIONAL = ("obstore",)
MiB = 1 << 20
GiB = 1 << 30
KMS_KEY_ID = "alias/s3seal-bench-key"
BUCKET = "bench"


def size_label(size: int) -> str:
    if size >= GiB:
        return f"{size // GiB} GiB"
    return f"{size // MiB} MiB" if size >= MiB else f"{size // 1024} KiB"


# --- the cases -----------------------------------------------------------------------------------


@dataclass
class Case:
    """One cell of the suite: a worker spec run for every library on one server.

    `outputs` names the worker's result sections (e.g. put/get), each becoming a table row.
    """

    group: str
    name: str
    server: str
    spec: dict[str, Any]
    outputs: dict[str, str]  # worker section -> row label
    prepare: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.group} {self.name}"


@dataclass
class Sizes:
    """What quick mode scales down."""

    reps: int
    # S1's small-object figures swing most between runs here (±15-20 % on the sink at 32
    # threads, whichever library): more repetitions, for medians that hold still.
    s1_reps: int
    s1_seconds: float
    s1_shapes: list[tuple[int, int]]  # (object size, threads)
    m1: list[tuple[int, int]]  # (object size, count)
    large: int
    fileobj: int
    c1: tuple[int, int]  # (threads, file size)
    x1: dict[str, int]  # server -> size
    solo_seconds: float  # G1: how long the counting loop runs alone first


FULL = Sizes(
    reps=3,
    s1_reps=5,
    s1_seconds=0.75,
    s1_shapes=[(4096, 1), (4096, 8), (4096, 32), (65536, 1), (65536, 32)],
    m1=[(8 * MiB, 32), (64 * MiB, 4)],
    large=GiB,
    fileobj=256 * MiB,
    c1=(8, 128 * MiB),
    x1={"ministack": 64 * MiB, "sink": 128 * MiB},
    solo_seconds=1.0,
)
QUICK = Sizes(
    reps=1,
    s1_reps=1,
    s1_seconds=0.3,
    s1_shapes=[(4096, 1), (4096, 32)],
    m1=[(64 * MiB, 1)],
    large=64 * MiB,
    fileobj=32 * MiB,
    c1=(4, 16 * MiB),
    x1={"sink": 16 * MiB},
    solo_seconds=0.3,
)


def cases(z: Sizes) -> list[Case]:
    out: list[Case] = []
    for server in ("ministack", "sink"):
        for size, threads in z.s1_shapes:
            for mode in ("plain", "sse-c"):
                name = f"{size_label(size)} {mode} {threads}T"
                spec = {"kind": "small", "size": size, "threads": threads, "seconds": z.s1_seconds}
                out.append(Case("S1", name, server, {**spec, "mode": mode}, {"put": "PUT", "get": "GET"}))
    for server in ("garage", "sink"):
        for size, count in z.m1:
            spec = {"kind": "medium", "size": size, "count": count, "mode": "plain"}
            out.append(
                Case(
                    "M1",
                    size_label(size),
                    server,
                    spec,
                    {"put": "put_object", "get": "get_object().read()"},
                )
            )
    for server in ("garage", "sink"):
        for group, size, up, down in (
            ("L1/L2", z.large, "upload_file", "download_file"),
            ("L3", z.fileobj, "upload_fileobj", "download_fileobj"),
        ):
            for op in (up, down):
                spec = {"kind": "transfer", "mode": "sse-c", "ops": [op], "size": size}
                out.append(Case(group, f"{size_label(size)} SSE-C", server, spec, {op: op}))
        threads, size = z.c1
        spec = {"kind": "concurrent", "mode": "sse-c", "threads": threads, "size": size}
        out.append(
            Case(
                "C1",
                f"{threads}T x {size_label(size)} SSE-C",
                server,
                spec,
                {"upload": "upload_file", "download": "download_file"},
            )
        )
    for server, size in z.x1.items():
        for mode in ("plain", "sse-c", "sse-s3", "sse-kms"):
            spec = {"kind": "transfer", "mode": mode, "ops": ["upload_file", "download_file"], "size": size}
            outputs = {"upload_file": "upload_file", "download_file": "download_file"}
            out.append(Case("X1", f"{size_label(size)} {mode}", server, spec, outputs))
    import rotate_cases  # the rotation group (R1): its own libraries and driver

    out += rotate_cases.cases(z)
    for server in ("garage", "sink"):
        for op in ("upload_file", "download_file"):
            spec = {
                "kind": "transfer",
                "mode": "sse-c",
                "ops": [op],
                "size": z.large,
                "gil": True,
                "solo_seconds": z.solo_seconds,
            }
            out.append(Case("G1", f"{size_label(z.large)} SSE-C", server, spec, {op: op}))
    import async_cases  # the async group (A1, A2): its own libraries and driver

    out += async_cases.cases(z)
    return out


# --- running -------------------------------------------------------------------------------------


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "worker.py")], input=json.dumps(spec), capture_output=True, text=True
    )
    if out.returncode != 0:
        raise WorkerFailed(
            out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "no output", out.stderr
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


class WorkerFailed(RuntimeError):
    def __init__(self, summary: str, stderr: str) -> None:
        super().__init__(summary)
        self.stderr = stderr


def rotated(rep: int) -> tuple[str, ...]:
    """Libraries in run order: the order rotates every repetition."""
    k = rep % len(LIBS)
    return LIBS[k:] + LIBS[:k]


def make_source(path: Path, size: int, block: int = 64 * MiB) -> str:
    """Write `size` random bytes to `path`; return their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as f:
        for offset in range(0, size, block):
            chunk = os.urandom(min(block, size - offset))
            digest.update(chunk)
            f.write(chunk)
    return digest.hexdigest()


def sha256_file(path: Path, block: int = 8 * MiB) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


class Bench:
    """The servers, source files and checks every case shares."""

    def __init__(self, work: Path, stack: ExitStack) -> None:
        import servers
        import sink

        self.work = work
        self.sse_key = secrets.token_bytes(32)
        self.sources: dict[int, tuple[Path, str]] = {}
        started = {
            "ministack": servers.start_ministack(work / "ministack"),
            "garage": servers.start_garage(work / "garage"),
        }
        for server in started.values():
            stack.callback(servers.remove, server)
        servers.garage_create_bucket(started["garage"], BUCKET)
        sink_server = sink.start()
        stack.callback(sink_server.stop)
        self.servers: dict[str, dict[str, str]] = {name: s.client_kwargs() for name, s in started.items()}
        self.servers["sink"] = sink_server.client_kwargs()
        # S1 also measures the sink's CPU per request (see report.py, SINK_CPU).
        self.server_pids = {"sink": sink_server.proc.pid}
        for name in ("ministack", "sink"):
            self.ref(name).create_bucket(Bucket=BUCKET)

    def ref(self, server: str) -> Any:
        """boto3, to set up and check objects (never measured)."""
        import boto3

        return boto3.client("s3", **self.servers[server])

    def sse(self, mode: str) -> dict[str, Any]:
        from worker import sse_args

        return sse_args(mode, self.sse_key, KMS_KEY_ID)

    def source(self, size: int) -> tuple[Path, str]:
        if size not in self.sources:
            path = self.work / f"source-{size}.bin"
            self.sources[size] = (path, make_source(path, size))
        return self.sources[size]

    def run(self, case: Case, lib: str, rep: int) -> dict[str, Any]:
        tag = f"{lib}-{rep}"
        spec = {
            **case.spec,
            "lib": lib,
            "tag": tag,
            "bucket": BUCKET,
            "server": self.servers[case.server],
            "sse_key": self.sse_key.hex(),
            "kms_key_id": KMS_KEY_ID,
        }
        if spec["kind"] == "small" and case.server in self.server_pids:
            spec["server_pid"] = self.server_pids[case.server]
        if spec["kind"] == "transfer":
            return self.run_transfer(case, spec, rep)
        if spec["kind"] == "concurrent":
            return self.run_concurrent(case, spec, rep)
        return run_worker(spec)

    def run_transfer(self, case: Case, spec: dict[str, Any], rep: int) -> dict[str, Any]:
        size, mode, ops = spec["size"], spec["mode"], spec["ops"]
        source, sha = self.source(size)
        key = f"{case.group}/{spec['tag']}/{mode}"
        dest = self.work / f"download-{spec['tag']}.bin"
        if ops[0].startswith("download"):
            # Everyone downloads the same object, uploaded once here by boto3 (not measured).
            key = f"{case.group}/source/{mode}/{size}"
            if rep == 0 and spec["lib"] == rotated(0)[0]:
                self.ref(case.server).upload_file(str(source), BUCKET, key, ExtraArgs=self.sse(mode))
        spec = {**spec, "key": key}
        result = run_worker(
            {**spec, "steps": [[op, str(source if op.startswith("upload") else dest)] for op in ops]}
        )
        if any(op.startswith("upload") for op in ops):
            self.check_object(case.server, key, size, mode)
        if any(op.startswith("download") for op in ops):
            self.check_download(case.server, dest, size, sha if rep == 0 else None)
        return result

    def run_concurrent(self, case: Case, spec: dict[str, Any], rep: int) -> dict[str, Any]:
        source, sha = self.source(spec["size"])
        dest = self.work / f"c1-{spec['tag']}"
        dest.mkdir()
        try:
            result = run_worker({**spec, "path": str(source), "dest": str(dest)})
            for i in range(spec["threads"]):
                self.check_object(case.server, f"c1/{spec['tag']}/{i}", spec["size"], spec["mode"])
                self.check_download(case.server, dest / f"{i}.bin", spec["size"], sha if i == 0 else None)
        finally:
            for f in dest.iterdir():
                f.unlink()
            dest.rmdir()
        return result

    def check_object(self, server: str, key: str, size: int, mode: str) -> None:
        read = self.sse(mode) if mode == "sse-c" else {}
        got = self.ref(server).head_object(Bucket=BUCKET, Key=key, **read)["ContentLength"]
        if got != size:
            raise RuntimeError(f"{server}: {key} holds {got} bytes, expected {size}")

    def check_download(self, server: str, path: Path, size: int, sha256: str | None) -> None:
        """Size always; content too on real servers when `sha256` is given. Then delete."""
        try:
            got = path.stat().st_size
            if got != size:
                raise RuntimeError(f"download to {path}: {got} bytes, expected {size}")
            if server != "sink" and sha256 is not None and sha256_file(path) != sha256:
                raise RuntimeError(f"download to {path}: content differs from the source")
        finally:
            path.unlink(missing_ok=True)


def run_case(bench: Bench, case: Case, reps: int) -> dict[str, Any]:
    """Every library, `reps` times, interleaved; the medians per library and output."""
    if hasattr(case, "run_case"):  # a group with its own libraries and driver (async_cases)
        return case.run_case(bench, reps)
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in LIBS}
    failed: dict[str, str] = {}
    for rep in range(reps):
        for lib in rotated(rep):
            if lib in failed:
                continue
            try:
                runs[lib].append(bench.run(case, lib, rep))
            except WorkerFailed as e:
                if lib not in OPTIONAL:
                    raise RuntimeError(f"{case.title} on {case.server}, {lib}:\n{e.stderr[-3000:]}") from e
                failed[lib] = str(e)[:200]
    medians = {lib: median_of(rs) for lib, rs in runs.items() if rs}
    return {"case": case, "medians": medians, "failed": failed}


def rows(done: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per case output: figures per library (peak RSS attached to each section)."""
    for d in done:
        case: Case = d["case"]
        for section, label in case.outputs.items():
            libs = {
                lib: {**m[section], "rss_mib": m["rss_mib"]}
                for lib, m in d["medians"].items()
                if section in m
            }
            yield {
                "group": case.group,
                "name": f"{case.name} {label}",
                "server": case.server,
                "libs": libs,
                "failed": d["failed"],
            }


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a smoke test of every case, < 2 minutes")
    parser.add_argument("--only", help="comma-separated groups, e.g. S1,M1 (writes partial.*)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    z = QUICK if args.quick else FULL
    groups = set(args.only.split(",")) if args.only else None
    todo = [c for c in cases(z) if groups is None or c.group in groups]
    import cli_cases  # the CLI group (s3seal vs aws commands): its own runner and report section

    started = time.monotonic()
    done = []
    with tempfile.TemporaryDirectory(prefix="s3seal-bench-") as tmp, ExitStack() as stack:
        bench = Bench(Path(tmp), stack)
        for i, case in enumerate(todo, 1):
            t0 = time.monotonic()
            done.append(run_case(bench, case, z.s1_reps if case.group == "S1" else z.reps))
            print(f"[{i}/{len(todo)}] {summary_line(done[-1])}  ({time.monotonic() - t0:.0f} s)", flush=True)
        cli_rows = (
            cli_cases.run_group(bench, args.quick) if groups is None or cli_cases.GROUP in groups else []
        )
    name = "quick" if args.quick else ("partial" if groups else "latest")
    import report

    report.write(
        list(rows(done)),
        HERE / "results" / name,
        quick=args.quick,
        reps=z.reps,
        s1_reps=z.s1_reps,
        minutes=(time.monotonic() - started) / 60,
    )
    cli_cases.append_report(HERE / "results" / name, cli_rows, args.quick)
    print(f"wrote benches/results/{name}.md and .png in {(time.monotonic() - started) / 60:.1f} min")
    return 0


def summary_line(d: dict[str, Any]) -> str:
    case: Case = d["case"]
    parts = []
    for section, label in case.outputs.items():
        figures = []
        for lib in d.get("libs", LIBS):
            m = d["medians"].get(lib, {}).get(section)
            if m:
                v = m.get("ops_s") or m.get("gil_fraction") or m.get("mib_s")
                figures.append(
                    f"{lib} {v:.3g}" if "gil_fraction" not in m else f"{lib} {m['gil_fraction']:.2f}"
                )
        parts.append(f"{label}: " + ", ".join(figures))
    return f"{case.title} on {case.server} | " + " | ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
