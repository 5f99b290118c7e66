"""Paired S1 windows: two or more variants, interleaved on one sink, compared round by round.

    python benches/paired.py [--rounds 6] [--threads 32] [--seconds 3] [--size 4096]
                             [--modes plain,sse-c] VARIANT VARIANT...

A variant is a library and, optionally, environment settings for its process:
`s3seal`, `obstore`, `s3seal:S3SEAL_LOCAL_RUNTIMES=1`, `s3seal:A=1,B=2`. The first variant is
the reference. To compare two builds, copy the earlier build's `python/s3seal` (with its
`_native` library) into a folder and name it: `s3seal:PYTHONPATH=/tmp/before s3seal`. Each round runs every variant once per mode (the order reversed every other
round), each window in a fresh interpreter (S1's `worker.py`: its threads PUT, then GET, for
`--seconds` each), and the report gives, per mode and operation, each variant's ops/s, client
CPU and sink CPU per request as ratios to the reference's in the same round: the geometric
mean and the range.

Why it exists: on two shared cores, S1's ratios move by 10-15 % between runs minutes apart,
more than most changes worth measuring. A change is judged against the build before it (or a
knob against its default) in windows seconds apart, where both see the same machine. This is
how the runtime's settings were chosen (see README, "Threads"). A measuring aid for
developers: `make bench` stays the record.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BUCKET = "bench"
FIGURES = (("ops/s", "ops_s"), ("client CPU", "cpu_us_per_op"), ("sink CPU", "server_cpu_us_per_op"))


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """`lib[:NAME=VALUE,...]` -> (lib, environment settings)."""
    lib, _, settings = text.partition(":")
    if lib not in ("s3seal", "boto3", "obstore"):
        raise SystemExit(f"unknown library {lib!r} in {text!r} (s3seal, boto3 or obstore)")
    env = {}
    for item in filter(None, settings.split(",")):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"expected NAME=VALUE, got {item!r} in {text!r}")
        env[name] = value
    return lib, env


def window(spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """One S1 window in a fresh interpreter; the spec on stdin (it holds the SSE-C key)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "worker.py")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if out.returncode != 0:
        last = out.stderr.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"{spec['lib']} window failed: {last[0]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def geomean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def report(
    results: dict[tuple[str, str], list[dict[str, Any]]], variants: list[str], modes: list[str]
) -> str:
    lines = []
    reference = variants[0]
    for mode in modes:
        for op in ("put", "get"):
            lines.append(f"{mode} {op.upper()}, ratios to {reference} in the same round:")
            for variant in variants[1:]:
                cells = []
                for label, key in FIGURES:
                    pairs = [
                        (ours[op][key], ref[op][key])
                        for ours, ref in zip(
                            results[(mode, variant)], results[(mode, reference)], strict=True
                        )
                        if key in ours[op] and key in ref[op] and ref[op][key] > 0 and ours[op][key] > 0
                    ]
                    if not pairs:
                        continue
                    ratios = [a / b for a, b in pairs]
                    cells.append(f"{label} {geomean(ratios):.3f}x ({min(ratios):.2f}-{max(ratios):.2f})")
                lines.append(f"  {variant}: " + ", ".join(cells))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--modes", default="plain,sse-c")
    parser.add_argument("variants", nargs="+", metavar="VARIANT")
    args = parser.parse_args()
    if len(args.variants) < 2:
        parser.error("give at least two variants: the reference first")
    parsed = {v: parse_variant(v) for v in args.variants}
    modes = args.modes.split(",")
    sys.path.insert(0, str(HERE))
    import boto3
    import sink

    server = sink.start()
    try:
        boto3.client("s3", **server.client_kwargs()).create_bucket(Bucket=BUCKET)
        base = {
            "kind": "small",
            "size": args.size,
            "threads": args.threads,
            "seconds": args.seconds,
            "bucket": BUCKET,
            "server": server.client_kwargs(),
            "server_pid": server.proc.pid,
            "sse_key": secrets.token_bytes(32).hex(),
            "kms_key_id": "paired-kms-key",
        }
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for round_no in range(args.rounds):
            order = args.variants if round_no % 2 == 0 else args.variants[::-1]
            for mode in modes:
                for variant in order:
                    lib, env = parsed[variant]
                    spec = {**base, "mode": mode, "lib": lib, "tag": f"paired-{lib}"}
                    out = window(spec, env)
                    results.setdefault((mode, variant), []).append(out)
                    figures = ", ".join(
                        f"{op} {out[op]['ops_s']:.0f} ops/s {out[op]['cpu_us_per_op']:.1f} us"
                        for op in ("put", "get")
                    )
                    print(f"round {round_no + 1} {mode} {variant}: {figures}", flush=True)
        print()
        print(report(results, args.variants, modes))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
