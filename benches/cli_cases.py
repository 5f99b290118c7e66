"""The CLI group of the benchmark: the `s3seal` command against the AWS CLI (`python -m awscli`,
awscli v1 from PyPI), same server, same run.

Cases (issue 14), on the sink (client overhead) and on Garage (a real server):
- `cp` of one file up and down with SSE-C (`--sse-c AES256 --sse-c-key fileb://...`), 1 GiB;
- a tree of 2,000 x 64 KiB files up with SSE-C: `sync` on Garage; `cp --recursive` on the sink,
  which has no ListObjects (sync lists the destination first), so there it is the same uploads
  without the listing.

Each command is one child process, timed from its start to its exit (interpreter start-up
included: what a script running the command waits for); its CPU is the user+sys `os.wait4`
reports for it (the child and any children it reaped). Both tools run with `--no-progress`
(the AWS CLI prints its progress line even when piped; s3seal only on a terminal) and their
defaults otherwise. Tools interleaved, the order alternating each repetition; the median of
the repetitions. Objects are checked after uploads (size, SSE-C on Garage) and downloads
(size; content on Garage). Quick mode scales the sizes down.

The download is also fetched by `curl` (one stream, a presigned URL, the SSE-C headers from a
config file), when it is installed: not a contender but the floor, what receiving the bytes
and writing them to the file costs this machine's kernel with next to no client on top.

Used by benches/run.py (`--only CLI` runs this group alone); the section is appended to the
report's Markdown.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GROUP = "CLI"
TOOLS = ("aws", "s3seal")
MiB = 1 << 20
GiB = 1 << 30
HERE = Path(__file__).resolve().parent


@dataclass
class Sizes:
    reps: int
    large: int  # the cp up / down file
    files: int  # the tree's file count
    file_size: int


FULL = Sizes(reps=3, large=GiB, files=2000, file_size=64 * 1024)
QUICK = Sizes(reps=1, large=32 * MiB, files=100, file_size=64 * 1024)


@dataclass
class Row:
    name: str
    server: str
    total_bytes: int
    figures: dict[str, dict[str, float]]  # tool -> {"mib_s", "cpu_s", "wall_s"}


def _label(size: int) -> str:
    return f"{size // GiB} GiB" if size >= GiB else f"{size // MiB} MiB"


def command(tool: str) -> list[str]:
    if tool == "aws":
        return [sys.executable, "-m", "awscli"]
    return [sys.executable, "-m", "s3seal"]


def environment(server: dict[str, str], work: Path) -> dict[str, str]:
    """The server's credentials; no profile files of the user's; s3seal from this tree."""
    config = work / "cli-empty-config"
    config.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=server["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=server["aws_secret_access_key"],
        AWS_DEFAULT_REGION=server["region_name"],
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(config),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=str(HERE.parent / "python"),
    )
    return env


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run one command; its wall seconds and its CPU seconds (user+sys, from wait4)."""
    import subprocess

    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:6])}... exited {proc.returncode}: {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def curl_config(bench: Any, server: str, bucket: str, key: str, dest: Path, work: Path) -> Path:
    """A curl config file (mode 0600) fetching `key` into `dest`: the presigned URL and the
    SSE-C headers stay out of the command line (and so out of the process list)."""
    sse = bench.sse("sse-c")
    import s3seal  # SigV4 presigning (botocore presigns S3 GETs with SigV2, which Garage refuses)

    presigner = s3seal.client("s3", **bench.servers[server])
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key, **sse})
    raw = sse["SSECustomerKey"]
    lines = [
        f'url = "{url}"',
        f'output = "{dest}"',
        'header = "x-amz-server-side-encryption-customer-algorithm: AES256"',
        f'header = "x-amz-server-side-encryption-customer-key: {base64.b64encode(raw).decode()}"',
        f'header = "x-amz-server-side-encryption-customer-key-md5: '
        f'{base64.b64encode(hashlib.md5(raw).digest()).decode()}"',
    ]
    path = work / f"cli-curl-{server}.conf"
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    return path


def make_tree(root: Path, count: int, size: int) -> None:
    if root.exists():
        return
    for i in range(count):
        path = root / f"d{i % 20:02d}" / f"f{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))


def run_group(bench: Any, quick: bool) -> list[Row]:
    """Every CLI case on the sink and on Garage; prints one line per case as run.py does."""
    z = QUICK if quick else FULL
    work: Path = bench.work
    key_file = work / "cli-sse.key"
    key_file.write_bytes(bench.sse_key)
    sse = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}"]
    source, sha = bench.source(z.large)
    tree = work / "cli-tree"
    make_tree(tree, z.files, z.file_size)
    tree_bytes = z.files * z.file_size
    rows: list[Row] = []
    for server in ("sink", "garage"):
        env = environment(bench.servers[server], work)
        url = ["--endpoint-url", bench.servers[server]["endpoint_url"]]
        bucket = "bench"
        down_key = f"cli/source-{z.large}"
        # The object every tool downloads, uploaded once by boto3 (not measured).
        bench.ref(server).upload_file(str(source), bucket, down_key, ExtraArgs=bench.sse("sse-c"))
        tree_verb = ["sync"] if server == "garage" else ["cp", "--recursive"]
        cases = [
            (f"cp {_label(z.large)} SSE-C up", z.large, "up"),
            (f"cp {_label(z.large)} SSE-C down", z.large, "down"),
            (f"{' '.join(tree_verb)} {z.files} x {z.file_size // 1024} KiB SSE-C up", tree_bytes, "tree"),
        ]
        for name, total, kind in cases:
            t0 = time.monotonic()
            tools = (*TOOLS, "curl") if kind == "down" and shutil.which("curl") else TOOLS
            runs: dict[str, list[tuple[float, float]]] = {t: [] for t in tools}
            for rep in range(z.reps):
                for tool in tools if rep % 2 == 0 else tools[::-1]:
                    tag = f"{tool}-{rep}"
                    if tool == "curl":
                        dest = work / f"cli-down-{tag}.bin"
                        conf = curl_config(bench, server, bucket, down_key, dest, work)
                        runs[tool].append(timed(["curl", "-sSf", "-K", str(conf)], env, work))
                        bench.check_download(server, dest, z.large, None)
                        continue
                    if kind == "up":
                        key = f"cli/up/{tag}"
                        args = ["s3", "cp", str(source), f"s3://{bucket}/{key}", *sse]
                    elif kind == "down":
                        dest = work / f"cli-down-{tag}.bin"
                        args = ["s3", "cp", f"s3://{bucket}/{down_key}", str(dest), *sse]
                    else:
                        args = ["s3", *tree_verb, str(tree), f"s3://{bucket}/cli/tree/{tag}/", *sse]
                    runs[tool].append(timed([*command(tool), *url, *args, "--no-progress"], env, work))
                    if kind == "up":
                        bench.check_object(server, key, z.large, "sse-c")
                        bench.ref(server).delete_object(Bucket=bucket, Key=key)
                    elif kind == "down":
                        bench.check_download(server, dest, z.large, sha if rep == 0 else None)
                    elif server == "garage":
                        check_tree(bench, server, f"cli/tree/{tag}/", z.files, z.file_size)
            figures = {}
            for tool, measured in runs.items():
                wall = statistics.median(w for w, _ in measured)
                cpu = statistics.median(c for _, c in measured)
                figures[tool] = {"wall_s": wall, "cpu_s": cpu, "mib_s": total / MiB / wall}
            row = Row(name, server, total, figures)
            rows.append(row)
            print(f"[{GROUP}] {summary(row)}  ({time.monotonic() - t0:.0f} s)", flush=True)
    return rows


def check_tree(bench: Any, server: str, prefix: str, count: int, size: int) -> None:
    """Every file arrived, at its size, readable with the SSE-C key (one sampled)."""
    client = bench.ref(server)
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix=prefix):
        found += [o for o in page.get("Contents", [])]
    if len(found) != count or any(o["Size"] != size for o in found):
        raise RuntimeError(f"{server}: {prefix} holds {len(found)} objects, expected {count} of {size} bytes")
    bench.check_object(server, found[0]["Key"], size, "sse-c")


def summary(row: Row) -> str:
    a, s = row.figures["aws"], row.figures["s3seal"]
    return (
        f"{row.name} on {row.server} | aws {a['mib_s']:.3g} MiB/s {a['cpu_s']:.3g} s CPU, "
        f"s3seal {s['mib_s']:.3g} MiB/s {s['cpu_s']:.3g} s CPU | "
        f"x{s['mib_s'] / a['mib_s']:.2f} throughput, x{s['cpu_s'] / a['cpu_s']:.2f} CPU"
        + (f" | curl (floor) {row.figures['curl']['cpu_s']:.3g} s CPU" if "curl" in row.figures else "")
    )


# Issue 14's targets: >= 2x the AWS CLI's throughput on the sink, >= 1x on Garage, <= 1/3 of its CPU.
TARGETS = {"sink": 2.0, "garage": 1.0}
CPU_TARGET = 1 / 3


def markdown(rows: list[Row], quick: bool) -> list[str]:
    if not rows:
        return []
    lines = [
        "",
        f"## CLI: `s3seal` vs the AWS CLI (awscli {_awscli_version()}, `python -m awscli`)"
        + (" (quick mode: smaller sizes)" if quick else ""),
        "",
        "Each command is a fresh process timed from start to exit; CPU is its user+sys (`os.wait4`). "
        "`--no-progress`, SSE-C with `--sse-c-key fileb://`; the tree is `sync` on Garage and "
        "`cp --recursive` on the sink (which cannot list). Ratios are s3seal / aws.",
        "",
        "| case | server | aws MiB/s | s3seal MiB/s | throughput ratio | aws CPU s | s3seal CPU s "
        "| CPU ratio | aws CPU s/GiB | s3seal CPU s/GiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, s = r.figures["aws"], r.figures["s3seal"]
        gib = r.total_bytes / GiB
        lines.append(
            f"| {r.name} | {r.server} | {a['mib_s']:.1f} | {s['mib_s']:.1f} | "
            f"{s['mib_s'] / a['mib_s']:.2f}x | {a['cpu_s']:.2f} | {s['cpu_s']:.2f} | "
            f"{s['cpu_s'] / a['cpu_s']:.2f}x | {a['cpu_s'] / gib:.2f} | {s['cpu_s'] / gib:.2f} |"
        )
    floors = [r for r in rows if "curl" in r.figures]
    if floors:
        lines += [
            "",
            "The floor: the same download by `curl` (one stream, presigned URL), whose CPU is almost "
            "all the kernel's (receiving the bytes, writing the file). Where curl / target is above "
            "1.00x, the target asks of s3seal less CPU than curl itself spends.",
            "",
            "| case | server | curl CPU s | s3seal CPU s | aws CPU s | aws CPU / 3 (target) | curl / target |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in floors:
            c, s, a = (r.figures[t]["cpu_s"] for t in ("curl", "s3seal", "aws"))
            lines.append(
                f"| {r.name} | {r.server} | {c:.2f} | {s:.2f} | {a:.2f} | {a * CPU_TARGET:.2f} "
                f"| {c / (a * CPU_TARGET):.2f}x |"
            )
    lines += ["", "| target (issue 14) | measured (worst) | |", "|---|---|---|"]
    for server, bound in TARGETS.items():
        mine = [r for r in rows if r.server == server]
        if not mine:
            continue
        worst = min(mine, key=lambda r: r.figures["s3seal"]["mib_s"] / r.figures["aws"]["mib_s"])
        value = worst.figures["s3seal"]["mib_s"] / worst.figures["aws"]["mib_s"]
        lines.append(
            f"| throughput s3seal / aws ≥ {bound:g} ({server}) | {value:.2f} ({worst.name}) "
            f"| {'met' if value >= bound else '**not met**'} |"
        )
    worst = max(rows, key=lambda r: r.figures["s3seal"]["cpu_s"] / r.figures["aws"]["cpu_s"])
    value = worst.figures["s3seal"]["cpu_s"] / worst.figures["aws"]["cpu_s"]
    verdict = "met" if value <= CPU_TARGET else "**not met**"
    floor = worst.figures.get("curl", {}).get("cpu_s")
    target_s = worst.figures["aws"]["cpu_s"] * CPU_TARGET
    if value > CPU_TARGET and floor is not None and floor > target_s:
        verdict += f" (below the floor: curl took {floor:.2f} s, the target is {target_s:.2f} s)"
    lines.append(
        f"| client CPU s3seal / aws ≤ 0.33 (sink, garage) | {value:.2f} ({worst.name}, {worst.server}) "
        f"| {verdict} |"
    )
    return lines


def _awscli_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("awscli")
    except metadata.PackageNotFoundError:
        return "not installed"


def append_report(stem: Path, rows: list[Row], quick: bool) -> None:
    """Append the CLI section to the report run.py just wrote."""
    lines = markdown(rows, quick)
    if lines:
        path = stem.with_suffix(".md")
        path.write_text(path.read_text() + "\n".join(lines) + "\n")
