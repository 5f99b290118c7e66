"""s3seal vs boto3, side by side on the same local server in the same run.

So far the suite covers S1 (small objects: 4 KiB PUT and GET, plain and SSE-C, 1 and 8
Python threads) on ministack: ops/s, p50/p99 latency and the client's own CPU per op (user +
sys of the measuring process). Each case runs in a fresh subprocess; libraries alternate;
every case is repeated and the median kept. Writes benches/results/latest.md and .png.

Run: make bench   (make bench-quick: fewer operations and repetitions, < 2 minutes)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

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


def run_case(lib: str, op: str, threads: int, n: int, mode: str, server, bucket: str) -> dict:
    arg = json.dumps([lib, op, threads, n, mode, server.client_kwargs(), bucket])
    out = subprocess.run([sys.executable, "-c", CASE, arg], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import boto3
    import servers

    n, reps = (300, 1) if args.quick else (2000, 3)
    work = Path(tempfile.mkdtemp(prefix="s3seal-bench-"))
    server = servers.start_ministack(work / "ministack")
    rows = []
    try:
        bucket = "bench"
        boto3.client("s3", **server.client_kwargs()).create_bucket(Bucket=bucket)
        for mode in ("plain", "sse-c"):
            for op in ("put", "get"):
                for threads in (1, 8):
                    results: dict[str, list[dict]] = {"boto3": [], "s3seal": []}
                    for _ in range(reps):
                        for lib in ("boto3", "s3seal"):  # interleaved
                            results[lib].append(run_case(lib, op, threads, n, mode, server, bucket))
                    med = {
                        lib: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                        for lib, rs in results.items()
                    }
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
    write_results(rows, quick=args.quick, n=n, reps=reps)
    return 0


def write_results(rows: list[dict], quick: bool, n: int, reps: int) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = "quick" if quick else "latest"
    lines = [
        f"# s3seal vs boto3 — {'quick mode, ' if quick else ''}{dt.date.today()}",
        "",
        f"Server: ministack (local, 127.0.0.1). Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. {n} ops per case, median of {reps} run(s), libraries interleaved, "
        "a fresh process per case. CPU = the client process's own user+sys.",
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
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot written")
        return
    fig, ax = plt.subplots(figsize=(10, 4.5))
    labels = [r["case"].replace("S1 4KiB ", "") for r in rows]
    ratios = [r["s3seal_ops"] / r["boto3_ops"] for r in rows]
    cpu = [r["boto3_cpu_per_op"] / r["s3seal_cpu_per_op"] for r in rows]
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], ratios, 0.4, label="throughput, s3seal / boto3")
    ax.bar([i + 0.2 for i in x], cpu, 0.4, label="client CPU per op, boto3 / s3seal")
    ax.axhline(1, color="grey", lw=0.8)
    ax.set_xticks(list(x), labels, rotation=30, ha="right")
    ax.set_ylabel("ratio (higher is better for s3seal)")
    ax.set_title("S1 small objects (4 KiB) on ministack: s3seal vs boto3, same run")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / f"{name}.png", dpi=110)


if __name__ == "__main__":
    sys.exit(main())
