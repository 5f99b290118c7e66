"""A CPU profile of one 4 KiB GET loop on the sink (s3seal, one thread), written as text to
benches/results/profile-get-4k.md: where a small request's client CPU goes, by library and by
function. Sampled with `perf record -e cpu-clock` (software clock: works where hardware
counters are not exposed). Run: `.venv/bin/python benches/profile.py` (needs `perf`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "profile-get-4k.md"
SECONDS = 8.0

LOOP = """
import os, sys, time
import s3seal
url = sys.argv[1]
client = s3seal.client("s3", endpoint_url=url, aws_access_key_id="sink",
                       aws_secret_access_key="sinksecret", region_name="us-east-1")
client.put_object(Bucket="bench", Key="p", Body=os.urandom(4096))
for _ in range(500):  # warm up: connections, caches
    client.get_object(Bucket="bench", Key="p")["Body"].read()
n, end = 0, time.perf_counter() + float(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
while time.perf_counter() < end:
    client.get_object(Bucket="bench", Key="p")["Body"].read()
    n += 1
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(f"{n} GETs, {n / wall:.0f} ops/s, {cpu / n * 1e6:.1f} us client CPU per GET")
"""


def report(data: Path, sort: str, limit: int) -> str:
    out = subprocess.run(
        [
            "perf",
            "report",
            "-i",
            str(data),
            "--no-children",
            "--comm",
            "python",
            "--sort",
            sort,
            "-g",
            "none",
            "--stdio",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line for line in out.splitlines() if line.strip() and not line.startswith("#")]
    return "\n".join(rows[:limit])


def main() -> None:
    if shutil.which("perf") is None:
        sys.exit("perf is not installed (Debian: linux-perf)")
    sys.path.insert(0, str(HERE))
    import sink

    with sink.start(threads=2) as server, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "perf.data"
        cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-g", "-o", str(data)]
        cmd += [sys.executable, "-c", LOOP, server.url, str(SECONDS)]
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        summary = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        by_dso = report(data, "dso", 12)
        by_symbol = report(data, "sym", 45)
    version = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    OUT.write_text(
        f"# Profile: one 4 KiB GET loop on the sink\n\n"
        f"s3seal git {version}, {started}, {os.cpu_count()} CPUs; written by `benches/profile.py`.\n"
        f"`client.get_object(...)['Body'].read()` in a loop on one thread for {SECONDS:.0f} s; "
        f"`perf record -e cpu-clock -g`, the client process's threads only.\n\n"
        f"**{summary}**\n\n"
        f"## By library\n\n```\n{by_dso}\n```\n\n## By function (self time)\n\n```\n{by_symbol}\n```\n"
    )
    print(f"wrote {OUT.relative_to(HERE.parent)}: {summary}")


if __name__ == "__main__":
    main()
