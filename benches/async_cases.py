"""The async group of the benchmark suite (issue 12): s3seal.aio against aioboto3 and obstore's
async API, everything driven from one asyncio event loop.

- **A1**: N requests kept in flight from one event loop (N = 1, 64, 512): 16 KiB GETs
  (`get_object` + `await Body.read()`), then 4 KiB PUTs, each for a fixed window. Ops/s counts the
  requests that completed inside the window (those still in flight at its end are cancelled and
  not counted); client CPU is the measuring process's user+sys over the window, per completed op.
  Each library may open N connections (`max_pool_connections=N`, at least botocore's 10; obstore
  has no cap to set).
- **A2**: one SSE-C `upload_file` then `download_file` of a large file (1 GiB; quick mode 64 MiB),
  awaited from the loop. obstore has no managed transfer: `put_async(Path)` and a streamed
  `get_async` written to the file, as in the sync suite.

**aioboto3** runs in its own virtualenv (`.venv/aioboto3`, made by `make bench`): aioboto3 15.5.0
pins aiobotocore 2.25.1 and botocore 1.40.x, which cannot live beside the main venv's botocore
1.43.11. Without that venv the column falls back to aiobotocore 3.9.0 from the main venv (the
client class aioboto3 returns; it has no managed transfers, so A2 shows it as failed) and the
report says so.

run.py calls `cases()` and each case's `run_case()`; report.py calls `report()`, which takes the
async rows out of the main tables and gives them their own section and plot (`<stem>.async.png`).
`python benches/async_cases.py < spec.json` is the measuring worker (one fresh interpreter per
measurement, as benches/worker.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stats import median_of

HERE = Path(__file__).resolve().parent
GROUPS = ("A1", "A2")
LIBS = ("aioboto3", "obstore", "s3seal")
MiB = 1 << 20
GiB = 1 << 30
GET_SIZE = 16 * 1024
PUT_SIZE = 4 * 1024
KEYS = 64  # distinct objects each library GETs (and PUTs over), round robin
IN_FLIGHT = (1, 64, 512)


def aioboto3_python() -> Path:
    """The interpreter of the aioboto3 virtualenv, beside the main venv's own."""
    return Path(sys.prefix) / "aioboto3" / "bin" / "python"


def has_aioboto3() -> bool:
    return aioboto3_python().exists()


# --- the cases -----------------------------------------------------------------------------------


@dataclass
class AsyncCase:
    """A case of the async group: the same shape as run.Case (group, name, server, spec,
    outputs), with its own libraries and its own driver (`run_case`)."""

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
        """Every library, `reps` times, interleaved (the order rotates); medians per library."""
        runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in self.libs}
        failed: dict[str, str] = {}
        for rep in range(reps):
            k = rep % len(self.libs)
            for lib in self.libs[k:] + self.libs[:k]:
                if lib in failed:
                    continue
                try:
                    runs[lib].append(self.run_one(bench, lib, rep))
                except WorkerFailed as e:
                    if lib == "s3seal":
                        raise RuntimeError(
                            f"{self.title} on {self.server}, {lib}:\n{e.stderr[-3000:]}"
                        ) from e
                    failed[lib] = str(e)[:200]
        medians = {lib: median_of(rs) for lib, rs in runs.items() if rs}
        return {"case": self, "medians": medians, "failed": failed, "libs": self.libs}

    def run_one(self, bench: Any, lib: str, rep: int) -> dict[str, Any]:
        tag = f"{lib}-{rep}"
        spec = {
            **self.spec,
            "lib": lib,
            "tag": tag,
            "bucket": "bench",
            "server": bench.servers[self.server],
            "sse_key": bench.sse_key.hex(),
            "kms_key_id": "unused",
        }
        if spec["kind"] != "async-transfer":
            return run_worker(spec)
        size = spec["size"]
        source, sha = bench.source(size)
        dest = bench.work / f"a2-{tag}.bin"
        key = f"a2/{tag}"
        result = run_worker({**spec, "key": key, "source": str(source), "dest": str(dest)})
        bench.check_object(self.server, key, size, spec["mode"])
        bench.check_download(self.server, dest, size, sha if rep == 0 else None)
        return result


def cases(z: Any) -> list[AsyncCase]:
    """The group at the suite's sizes: `z` is run.FULL or run.QUICK (quick: sink only, SSE-C
    only, N = 1 and 64, short windows, the transfer at z.large)."""
    quick = z.reps == 1
    seconds = 0.25 if quick else 1.5
    servers = ("sink",) if quick else ("sink", "ministack")
    modes = ("sse-c",) if quick else ("plain", "sse-c")
    # aioboto3 needs ~10 s to warm and measure 512 in flight: quick mode stops at 64.
    in_flight = IN_FLIGHT[:2] if quick else IN_FLIGHT
    out = []
    for server in servers:
        for mode in modes:
            spec = {"kind": "async-small", "mode": mode, "in_flight": list(in_flight), "seconds": seconds}
            outputs = {f"get_{n}": f"16 KiB GET x{n}" for n in in_flight}
            outputs |= {f"put_{n}": f"4 KiB PUT x{n}" for n in in_flight}
            out.append(AsyncCase("A1", mode, server, spec, outputs))
    for server in ("sink",) if quick else ("garage", "sink"):
        spec = {"kind": "async-transfer", "mode": "sse-c", "size": z.large}
        label = f"{z.large // GiB} GiB" if z.large >= GiB else f"{z.large // MiB} MiB"
        outputs = {"upload_file": "upload_file", "download_file": "download_file"}
        out.append(AsyncCase("A2", f"{label} SSE-C", server, spec, outputs))
    return out


class WorkerFailed(RuntimeError):
    def __init__(self, summary: str, stderr: str) -> None:
        super().__init__(summary)
        self.stderr = stderr


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    python = str(aioboto3_python()) if spec["lib"] == "aioboto3" and has_aioboto3() else sys.executable
    out = subprocess.run(
        [python, str(HERE / "async_cases.py")], input=json.dumps(spec), capture_output=True, text=True
    )
    if out.returncode != 0:
        lines = out.stderr.strip().splitlines()
        raise WorkerFailed(lines[-1] if lines else "no output", out.stderr)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the worker: the libraries -------------------------------------------------------------------


def sse_args(mode: str, key: bytes) -> dict[str, Any]:
    return {"plain": {}, "sse-c": {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}}[mode]


class BotoLike:
    """aioboto3 (or aiobotocore) and s3seal.aio: the same calls, as an aioboto3 user writes them."""

    def __init__(self, lib: str, spec: dict[str, Any], pool: int) -> None:
        self.bucket = spec["bucket"]
        self.sse = sse_args(spec["mode"], bytes.fromhex(spec["sse_key"]))
        self.lib, self.server, self.pool = lib, spec["server"], pool
        self.client: Any = None
        self._context: Any = None

    async def __aenter__(self) -> BotoLike:
        if self.lib == "s3seal":
            import s3seal
            import s3seal.aio

            config: Any = s3seal.Config(max_pool_connections=self.pool)
            self._context = s3seal.aio.Session().client("s3", config=config, **self.server)
        else:
            try:
                import aioboto3
                from aiobotocore.config import AioConfig

                session: Any = aioboto3.Session()
            except ImportError:  # the aioboto3 venv is missing: aiobotocore, the client it returns
                from aiobotocore.config import AioConfig
                from aiobotocore.session import get_session

                session = get_session()
                session.client = session.create_client
            self._context = session.client(
                "s3", config=AioConfig(max_pool_connections=self.pool), **self.server
            )
        self.client = await self._context.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._context.__aexit__(*exc_info)

    async def put(self, key: str, body: bytes) -> None:
        await self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **self.sse)

    async def get(self, key: str) -> int:
        got = await self.client.get_object(Bucket=self.bucket, Key=key, **self.sse)
        async with got["Body"] as body:
            return len(await body.read())

    async def upload_file(self, path: str, key: str) -> None:
        await self.client.upload_file(path, self.bucket, key, ExtraArgs=self.sse)

    async def download_file(self, key: str, path: str) -> None:
        await self.client.download_file(self.bucket, key, path, ExtraArgs=self.sse)


class Obstore:
    """obstore's async API: SSE is a store setting."""

    def __init__(self, spec: dict[str, Any], pool: int) -> None:
        sys.path.insert(0, str(HERE))
        from worker import Obstore as SyncObstore

        synchronous = SyncObstore(spec)
        self.obstore, self.store = synchronous.obstore, synchronous.store

    async def __aenter__(self) -> Obstore:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        pass

    async def put(self, key: str, body: bytes) -> None:
        await self.obstore.put_async(self.store, key, body, use_multipart=False)

    async def get(self, key: str) -> int:
        got = await self.obstore.get_async(self.store, key)
        return len(await got.bytes_async())

    async def upload_file(self, path: str, key: str) -> None:
        await self.obstore.put_async(self.store, key, Path(path))

    async def download_file(self, key: str, path: str) -> None:
        got = await self.obstore.get_async(self.store, key)
        with open(path, "wb") as f:
            async for chunk in got.stream(min_chunk_size=8 * MiB):
                f.write(chunk)


def library(spec: dict[str, Any], pool: int) -> Any:
    return Obstore(spec, pool) if spec["lib"] == "obstore" else BotoLike(spec["lib"], spec, pool)


# --- the worker: the measurements ----------------------------------------------------------------


def trace(what: str) -> None:
    """Progress on stderr (shown when a worker fails)."""
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


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


async def window(call: Any, keys: list[str], n: int, seconds: float) -> dict[str, float]:
    """`n` tasks each issue `call(key)` back to back for `seconds`; the completed ones count."""
    latencies: list[float] = []

    async def one_task(start: int) -> None:
        i = start
        while True:
            t = time.perf_counter()
            await call(keys[i % len(keys)])
            latencies.append(time.perf_counter() - t)
            i += n

    tasks = [asyncio.create_task(one_task(i)) for i in range(n)]
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    await asyncio.sleep(seconds)
    # A library slower than the window still gets measured: it runs on until n requests are done.
    while len(latencies) < n and time.perf_counter() - t0 < 60:
        await asyncio.sleep(0.02)
    wall, cpu, lat = time.perf_counter() - t0, cpu_seconds() - cpu0, sorted(latencies)
    for task in tasks:
        task.cancel()
    trace("window over, cancelling")
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [e for e in outcomes if not isinstance(e, asyncio.CancelledError)]
    if errors:
        raise errors[0]
    if not lat:
        raise RuntimeError(f"no request completed in {seconds} s with {n} in flight")
    return {
        "ops_s": len(lat) / wall,
        "p50_ms": lat[len(lat) // 2] * 1e3,
        "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3,
        "cpu_us_per_op": cpu / len(lat) * 1e6,
    }


async def small(spec: dict[str, Any]) -> dict[str, Any]:
    """A1: for each N, a fresh client (N connections allowed), a short unmeasured window to
    open the connections, then the GET window and the PUT window."""
    get_body, put_body = os.urandom(GET_SIZE), os.urandom(PUT_SIZE)
    get_keys = [f"a1/{spec['tag']}/get/{i}" for i in range(KEYS)]
    put_keys = [f"a1/{spec['tag']}/put/{i}" for i in range(KEYS)]
    out: dict[str, Any] = {}
    for n in spec["in_flight"]:
        trace(f"N={n}: client")
        async with library(spec, max(n, 10)) as lib:
            if not out:  # the objects to GET, written by the library itself
                await asyncio.gather(*(lib.put(k, get_body) for k in get_keys))

            async def get(key: str, lib: Any = lib) -> None:
                if await lib.get(key) != GET_SIZE:
                    raise RuntimeError(f"GET {key}: wrong size")

            async def put(key: str, lib: Any = lib) -> None:
                await lib.put(key, put_body)

            # Warm-up, not kept: one round of n GETs opens the connections. The windows last
            # at least two such rounds, so that a slow library completes some requests in them.
            t0 = time.perf_counter()
            await asyncio.gather(*(get(get_keys[i % KEYS]) for i in range(n)))
            seconds = max(spec["seconds"], min(2 * (time.perf_counter() - t0), 5.0))
            trace(f"N={n}: warm in {time.perf_counter() - t0:.2f} s")
            out[f"get_{n}"] = await window(get, get_keys, n, seconds)
            trace(f"N={n}: get done")
            out[f"put_{n}"] = await window(put, put_keys, n, seconds)
            trace(f"N={n}: put done")
        trace(f"N={n}: client closed")
    return out


async def transfer(spec: dict[str, Any]) -> dict[str, Any]:
    """A2: upload_file of the source, then download_file of the same object."""
    size, out = spec["size"], {}
    async with library(spec, 10) as lib:
        for op in ("upload_file", "download_file"):
            cpu0, t0 = cpu_seconds(), time.perf_counter()
            if op == "upload_file":
                await lib.upload_file(spec["source"], spec["key"])
            else:
                await lib.download_file(spec["key"], spec["dest"])
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            out[op] = {"mib_s": size / MiB / wall, "cpu_s_per_gib": cpu / (size / GiB)}
    return out


def main() -> None:
    # On stdin, not argv: the spec holds the SSE-C key, and argv is visible to `ps`.
    spec = json.loads(sys.stdin.read())
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    measure = small if spec["kind"] == "async-small" else transfer
    result = asyncio.run(measure(spec))
    result["rss_mib"] = peak_rss_mib()
    print(json.dumps(result), flush=True)
    # Exit at once: obstore's runtime aborts the interpreter's shutdown (SIGABRT) when the
    # window's cancelled requests are still being dropped on its threads.
    os._exit(0)


# --- the report ----------------------------------------------------------------------------------


def aioboto3_label() -> str:
    if not has_aioboto3():
        return "aiobotocore 3.9.0 (no aioboto3 venv: the client aioboto3 returns, no managed transfers)"
    code = (
        "from importlib.metadata import version as v; "
        "print(f\"aioboto3 {v('aioboto3')} (aiobotocore {v('aiobotocore')}, botocore {v('botocore')})\")"
    )
    done = subprocess.run([str(aioboto3_python()), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "aioboto3 (version unknown)"


def primary(m: dict[str, float]) -> float | None:
    return m.get("ops_s") or m.get("mib_s")


def cpu(m: dict[str, float]) -> float | None:
    return m.get("cpu_us_per_op") or m.get("cpu_s_per_gib")


def ratio(row: dict[str, Any], base: str, figure: Any) -> float | None:
    a, b = row["libs"].get("s3seal"), row["libs"].get(base)
    if not a or not b:
        return None
    x, y = figure(a), figure(b)
    return x / y if x and y else None


def fmt(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.3g}" if v < 1000 else f"{v:.0f}"


def table(rows: list[dict[str, Any]], figure: Any, unit: str) -> list[str]:
    lines = [
        f"| case | server | {unit} | aioboto3 | obstore | s3seal.aio | vs aioboto3 | vs obstore |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = []
        for lib in LIBS:
            m = r["libs"].get(lib)
            cells.append("failed" if lib in r["failed"] else fmt(figure(m)) if m else "—")
        ratios = []
        for base in ("aioboto3", "obstore"):
            v = ratio(r, base, figure)
            ratios.append("—" if v is None else f"{v:.2f}x")
        lines.append(
            f"| {r['group']} {r['name']} | {r['server']} | {unit} | " + " | ".join(cells + ratios) + " |"
        )
    return lines


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 12's targets, on every A1 row of each server (the worst one counts). Checked per
    server: on the sink they measure the clients; on ministack, a Python server that caps every
    client, they are bounded by the server, as the S1 group's ministack rows are."""
    a1 = [r for r in rows if r["group"] == "A1"]
    checks = [
        ("s3seal.aio / obstore ops/s ≥ 1", lambda r: ratio(r, "obstore", primary), 1.0, False),
        ("s3seal.aio / obstore client CPU per op ≤ 1", lambda r: ratio(r, "obstore", cpu), 1.0, True),
        ("s3seal.aio / aioboto3 ops/s ≥ 3", lambda r: ratio(r, "aioboto3", primary), 3.0, False),
    ]
    lines = ["| target (A1, every N) | server | measured | |", "|---|---|---|---|"]
    for server in sorted({r["server"] for r in a1}, key=lambda s: s != "sink"):
        for label, measure, bound, at_most in checks:
            values = [(v, r) for r in a1 if r["server"] == server and (v := measure(r)) is not None]
            if not values:
                continue
            worst, row = (max if at_most else min)(values, key=lambda x: x[0])
            met = worst <= bound if at_most else worst >= bound
            lines.append(
                f"| {label} | {server} | {worst:.2f} (worst of {len(values)}: {row['name']}) "
                f"| {'met' if met else '**not met**'} |"
            )
    return lines


def report(rows: list[dict[str, Any]], stem: Path, quick: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Split the async rows off: (the other rows, the Markdown lines of the async section)."""
    mine = [r for r in rows if r["group"] in GROUPS]
    rest = [r for r in rows if r["group"] not in GROUPS]
    if not mine:
        return rest, []
    lines = [
        "",
        "## Async (issue 12): s3seal.aio vs aioboto3 and obstore's async API, one event loop",
        "",
        f"aioboto3 column: {aioboto3_label()}. obstore: `get_async` / `put_async` (plain or SSE-C set on the",
        "store). A1: N requests kept in flight for a fixed window, ops completed in the window per second;",
        "each library may open N connections. A2: `upload_file` then `download_file` (obstore:",
        "`put_async(Path)` and a streamed `get_async`). Ratios: s3seal.aio / the other library.",
        "",
        *targets(mine),
        "",
        "### Throughput (higher is better)",
        "",
        *table(mine, primary, "ops/s · MiB/s"),
        "",
        "### Client CPU (lower is better; µs/op for A1, s/GiB for A2)",
        "",
        *table(mine, cpu, "CPU"),
        "",
        "### A1 latency, p50 / p99 ms",
        "",
        "| case | server | aioboto3 | obstore | s3seal.aio |",
        "|---|---|---|---|---|",
    ]
    for r in mine:
        if r["group"] != "A1":
            continue
        cells = [
            f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f}" if (m := r["libs"].get(lib)) else "—" for lib in LIBS
        ]
        lines.append(f"| {r['group']} {r['name']} | {r['server']} | " + " | ".join(cells) + " |")
    failures = {(lib, why) for r in mine for lib, why in r["failed"].items()}
    if failures:
        lines += ["", "Failed: " + "; ".join(f"{lib}: {why}" for lib, why in sorted(failures))]
    png = stem.parent / f"{stem.name}.async.png"
    if plot(mine, png, quick):
        lines += ["", f"Plot: `{png.name}`."]
    return rest, lines


def plot(rows: list[dict[str, Any]], path: Path, quick: bool) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(3 + 0.45 * len(rows), 4.5))
    x = range(len(rows))
    for j, (base, color) in enumerate((("aioboto3", "#4c72b0"), ("obstore", "#c44e52"))):
        values = [ratio(r, base, primary) or 0 for r in rows]
        ax.bar([i + (j - 0.5) * 0.4 for i in x], values, 0.4, label=f"s3seal.aio / {base}", color=color)
    ax.set_yscale("log")
    ax.axhline(1, color="black", lw=0.8)
    ax.set_xticks(
        list(x),
        [f"{r['group']} {r['name']} ({r['server']})" for r in rows],
        rotation=60,
        ha="right",
        fontsize=7,
    )
    ax.set_ylabel("throughput ratio (log)")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(
        f"s3seal.aio relative to each async library, same server, same run{' (quick mode)' if quick else ''}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


if __name__ == "__main__":
    main()
