"""s3seal vs boto3, side by side on the same local server in the same run.

S1 (small objects: 4 KiB PUT and GET, plain and SSE-C, 1 and 8 Python threads) runs on
ministack: ops/s, p50/p99 latency and the client's own CPU per op (user + sys of the
measuring process). L1/L2 (large file: upload_file and download_file with SSE-C, default
TransferConfig) runs on Garage: MiB/s, the client's own CPU seconds per GiB and its peak RSS.
Each measurement runs in a fresh subprocess; libraries alternate; every case is repeated and
the median kept. Writes benches/results/latest.md and .png (quick.* in quick mode; with
--only S or --only L, latest-S.* / latest-L.* so a partial run never overwrites a full one).

Run: make bench   (make bench-quick: fewer operations, 128 MiB instead of 1 GiB, one run each,
< 2 minutes; `benches/run.py --only L` runs only the large-file case)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

LIBS = ("boto3", "s3seal")
MiB = 1 << 20
GiB = 1 << 30

CASE = r"""
import json, os, resource, sys, threading, time
lib, op, threads, n, mode, kwargs, bucket = json.loads(sys.argv[1])
if lib == "boto3":
    import boto3 as m
    from botocore.config import Config
    cfg = Config(max_pool_connections=64)
else:
    import s3seal as m
    cfg = m.Config(max_pool_connections=64)
c = m.client("s3", config=cfg, **kwargs)
extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": b"k" * 32} if mode == "sse-c" else {}
body = os.urandom(4096)
keys = [f"s1/{lib}/{mode}/{i % 64}" for i in range(n)]
for k in set(keys):
    c.put_object(Bucket=bucket, Key=k, Body=body, **extra)
lat = []
def work(mine):
    for k in mine:
        t = time.perf_counter()
        if op == "put":
            c.put_object(Bucket=bucket, Key=k, Body=body, **extra)
        else:
            c.get_object(Bucket=bucket, Key=k, **extra)["Body"].read()
        lat.append(time.perf_counter() - t)
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
ts = [threading.Thread(target=work, args=(keys[i::threads],)) for i in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
lat.sort()
print(json.dumps({"ops": n / wall, "p50": lat[len(lat) // 2], "p99": lat[int(len(lat) * 0.99)],
                  "cpu_per_op": cpu / n, "rss_mib": r1.ru_maxrss / 1024}))
"""

# One upload_file or download_file with SSE-C and the library's default TransferConfig and
# client config. Wall time and CPU (user + sys of this process) cover the transfer only. Peak
# RSS is this process's VmHWM: on Linux a child's ru_maxrss also counts the parent's RSS at
# fork/exec time, so it would report the benchmark driver's size, not the client's.
LARGE_CASE = r"""
import importlib, json, resource, sys, time
def peak_rss_mib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
lib, op, bucket, key, path, size, sse_key_hex, kwargs = json.loads(sys.argv[1])
c = importlib.import_module(lib).client("s3", **kwargs)
extra = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": bytes.fromhex(sse_key_hex)}
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
if op == "upload":
    c.upload_file(path, bucket, key, ExtraArgs=extra)
else:
    c.download_file(bucket, key, path, ExtraArgs=extra)
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"wall_s": wall, "mib_s": size / 2**20 / wall, "cpu_s": cpu,
                  "cpu_s_per_gib": cpu / (size / 2**30), "rss_mib": peak_rss_mib()}))
"""


def run_script(script: str, args: list[Any]) -> dict:
    """Run a measurement in a fresh interpreter; its last stdout line is a JSON dict."""
    out = subprocess.run([sys.executable, "-c", script, json.dumps(args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def medians(results: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    return {lib: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for lib, rs in results.items()}


# --- S1: small objects on ministack ----------------------------------------------------------


def run_case(lib: str, op: str, threads: int, n: int, mode: str, server, bucket: str) -> dict:
    return run_script(CASE, [lib, op, threads, n, mode, server.client_kwargs(), bucket])


def run_small(work: Path, n: int, reps: int) -> list[dict]:
    import boto3
    import servers

    server = servers.start_ministack(work / "ministack")
    rows = []
    try:
        bucket = "bench"
        boto3.client("s3", **server.client_kwargs()).create_bucket(Bucket=bucket)
        for mode in ("plain", "sse-c"):
            for op in ("put", "get"):
                for threads in (1, 8):
                    results: dict[str, list[dict]] = {lib: [] for lib in LIBS}
                    for _ in range(reps):
                        for lib in LIBS:  # interleaved
                            results[lib].append(run_case(lib, op, threads, n, mode, server, bucket))
                    med = medians(results)
                    rows.append(
                        {
                            "case": f"S1 4KiB {op.upper()} {mode} {threads}T",
                            **{f"{lib}_{k}": v for lib, m in med.items() for k, v in m.items()},
                        }
                    )
                    print(
                        f"{rows[-1]['case']:<28} boto3 {med['boto3']['ops']:7.0f} ops/s  s3seal "
                        f"{med['s3seal']['ops']:7.0f} ops/s  ratio {med['s3seal']['ops'] / med['boto3']['ops']:.2f}x",
                        flush=True,
                    )
    finally:
        servers.remove(server)
    return rows


# --- L1/L2: one large file with SSE-C on Garage ------------------------------------------------


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


def check_upload(client: Any, bucket: str, key: str, size: int, sse: dict[str, Any]) -> None:
    got = client.head_object(Bucket=bucket, Key=key, **sse)["ContentLength"]
    if got != size:
        raise RuntimeError(f"upload of {key}: the server holds {got} bytes, expected {size}")


def check_download(path: Path, size: int, sha256: str | None) -> None:
    """Size always; content too when `sha256` is given. Then delete the file."""
    try:
        got = path.stat().st_size
        if got != size:
            raise RuntimeError(f"download to {path}: {got} bytes, expected {size}")
        if sha256 is not None and sha256_file(path) != sha256:
            raise RuntimeError(f"download to {path}: content differs from the source")
    finally:
        path.unlink(missing_ok=True)


def interleaved(reps: int) -> list[tuple[int, str]]:
    """(rep, lib) in run order; who goes first alternates from one repetition to the next."""
    return [(rep, lib) for rep in range(reps) for lib in (LIBS if rep % 2 == 0 else LIBS[::-1])]


def size_label(size: int) -> str:
    return f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"


@dataclass
class LargeSetup:
    """What every L measurement shares: the server, bucket, source file and SSE-C key."""

    kwargs: dict[str, str]
    bucket: str
    source: Path
    size: int
    sha256: str
    sse_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def sse(self) -> dict[str, Any]:
        return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": self.sse_key}

    def measure(self, lib: str, op: str, key: str, path: Path) -> dict:
        args = [lib, op, self.bucket, key, str(path), self.size, self.sse_key.hex(), self.kwargs]
        return run_script(LARGE_CASE, args)


def run_uploads(setup: LargeSetup, ref: Any, reps: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {lib: [] for lib in LIBS}
    for _, lib in interleaved(reps):
        key = f"l1/{lib}"
        results[lib].append(setup.measure(lib, "upload", key, setup.source))
        check_upload(ref, setup.bucket, key, setup.size, setup.sse)
    return results


def run_downloads(setup: LargeSetup, ref: Any, reps: int, downloads: Path) -> dict[str, list[dict]]:
    """Both libraries download the same object, uploaded once by boto3 (not measured)."""
    key = "l2/source"
    ref.upload_file(str(setup.source), setup.bucket, key, ExtraArgs=setup.sse)
    results: dict[str, list[dict]] = {lib: [] for lib in LIBS}
    for rep, lib in interleaved(reps):
        dest = downloads / f"{lib}-{rep}.bin"
        results[lib].append(setup.measure(lib, "download", key, dest))
        check_download(dest, setup.size, setup.sha256 if rep == 0 else None)
    return results


def large_row(case: str, results: dict[str, list[dict]]) -> dict:
    med = medians(results)
    thr = med["s3seal"]["mib_s"] / med["boto3"]["mib_s"]
    cpu = med["s3seal"]["cpu_s_per_gib"] / med["boto3"]["cpu_s_per_gib"]
    print(
        f"{case:<32} boto3 {med['boto3']['mib_s']:7.1f} MiB/s  s3seal {med['s3seal']['mib_s']:7.1f} MiB/s  "
        f"ratio {thr:.2f}x  CPU s3seal/boto3 {cpu:.2f}x",
        flush=True,
    )
    return {"case": case, **med}


def run_large(work: Path, size: int, reps: int) -> list[dict]:
    import boto3
    import servers

    source, downloads = work / "source.bin", work / "downloads"
    downloads.mkdir()
    sha256 = make_source(source, size)
    server = servers.start_garage(work / "garage")
    try:
        setup = LargeSetup(server.client_kwargs(), "bench-large", source, size, sha256)
        servers.garage_create_bucket(server, setup.bucket)
        ref = boto3.client("s3", **setup.kwargs)
        label = size_label(size)
        return [
            large_row(f"L1 upload_file {label} SSE-C", run_uploads(setup, ref, reps)),
            large_row(f"L2 download_file {label} SSE-C", run_downloads(setup, ref, reps, downloads)),
        ]
    finally:
        servers.remove(server)
        source.unlink(missing_ok=True)


# --- results -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--only", choices=("S", "L"), help="run only S1 (small objects) or L1/L2 (large file)"
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    n, reps = (300, 1) if args.quick else (2000, 3)
    size = 128 * MiB if args.quick else GiB
    small: list[dict] = []
    large: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="s3seal-bench-") as tmp:
        if args.only in (None, "S"):
            small = run_small(Path(tmp), n, reps)
        if args.only in (None, "L"):
            large = run_large(Path(tmp), size, reps)
    name = ("quick" if args.quick else "latest") + (f"-{args.only}" if args.only else "")
    write_results(small, large, name=name, quick=args.quick, n=n, reps=reps, size=size)
    return 0


def small_section(rows: list[dict], n: int, reps: int) -> list[str]:
    lines = [
        "## S1: small objects (ministack)",
        "",
        f"{n} ops per case, median of {reps} run(s). CPU = the client process's own user+sys.",
        "",
        "| case | boto3 ops/s | s3seal ops/s | ratio | boto3 p50 ms | s3seal p50 ms | boto3 p99 ms | s3seal p99 ms | boto3 CPU µs/op | s3seal CPU µs/op |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['boto3_ops']:.0f} | {r['s3seal_ops']:.0f} | {r['s3seal_ops'] / r['boto3_ops']:.2f}x | "
            f"{r['boto3_p50'] * 1e3:.2f} | {r['s3seal_p50'] * 1e3:.2f} | {r['boto3_p99'] * 1e3:.2f} | "
            f"{r['s3seal_p99'] * 1e3:.2f} | {r['boto3_cpu_per_op'] * 1e6:.0f} | {r['s3seal_cpu_per_op'] * 1e6:.0f} |"
        )
    return lines


def large_section(rows: list[dict], size: int, reps: int) -> list[str]:
    lines = [
        "## L1/L2: large file with SSE-C (Garage)",
        "",
        f"`upload_file` / `download_file` of one {size // MiB} MiB file of random bytes, SSE-C (AES256, "
        f"32-byte key), each library's default TransferConfig and client config; median of {reps} run(s). "
        "Both libraries download the same object. MiB/s = file size / wall time of the call. CPU = the client "
        "process's own user+sys during the call only. Peak RSS = the process's high-water RSS (VmHWM; "
        "interpreter and imports included). Ratios are s3seal / boto3: above 1 is better for throughput, below 1 is better "
        "for CPU.",
        "",
        "| case | library | MiB/s | CPU-s/GiB | peak RSS MiB | throughput s3seal/boto3 | CPU s3seal/boto3 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, s = r["boto3"], r["s3seal"]
        thr, cpu = s["mib_s"] / b["mib_s"], s["cpu_s_per_gib"] / b["cpu_s_per_gib"]
        for lib, ratios in (("boto3", "| | |"), ("s3seal", f"| {thr:.2f}x | {cpu:.2f}x |")):
            m = r[lib]
            lines.append(
                f"| {r['case']} | {lib} | {m['mib_s']:.1f} | {m['cpu_s_per_gib']:.2f} | {m['rss_mib']:.0f} {ratios}"
            )
    return lines


def write_results(
    small: list[dict], large: list[dict], name: str, quick: bool, n: int, reps: int, size: int
) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    lines = [
        f"# s3seal vs boto3 — {'quick mode, ' if quick else ''}{dt.date.today()}",
        "",
        f"Servers: local, 127.0.0.1. Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. Libraries interleaved, a fresh process per measurement.",
    ]
    if small:
        lines += ["", *small_section(small, n, reps)]
    if large:
        lines += ["", *large_section(large, size, reps)]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    write_plot(small, large, out / f"{name}.png")


def plot_ratios(ax: Any, labels: list[str], thr: list[float], cpu: list[float], title: str) -> None:
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], thr, 0.4, label="throughput, s3seal / boto3")
    ax.bar([i + 0.2 for i in x], cpu, 0.4, label="client CPU per op or GiB, boto3 / s3seal")
    ax.axhline(1, color="grey", lw=0.8)
    ax.set_ylim(0, 1.3 * max(*thr, *cpu))  # room for the legend
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_title(title, fontsize=10)


def write_plot(small: list[dict], large: list[dict], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot written")
        return
    panels = []
    if small:
        labels = [r["case"].replace("S1 4KiB ", "") for r in small]
        thr = [r["s3seal_ops"] / r["boto3_ops"] for r in small]
        cpu = [r["boto3_cpu_per_op"] / r["s3seal_cpu_per_op"] for r in small]
        panels.append((labels, thr, cpu, "S1 small objects (4 KiB) on ministack"))
    if large:
        labels = [" ".join(r["case"].split()[:2]) for r in large]
        thr = [r["s3seal"]["mib_s"] / r["boto3"]["mib_s"] for r in large]
        cpu = [r["boto3"]["cpu_s_per_gib"] / r["s3seal"]["cpu_s_per_gib"] for r in large]
        panels.append((labels, thr, cpu, "L1/L2 large file, SSE-C, on Garage"))
    widths = [len(p[0]) + 1 for p in panels]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(2 + 1.1 * sum(widths), 4.8), squeeze=False, width_ratios=widths
    )
    for ax, panel in zip(axes[0], panels, strict=True):
        plot_ratios(ax, *panel)
    axes[0][0].set_ylabel("ratio (higher is better for s3seal)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("s3seal vs boto3, same server, same run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
