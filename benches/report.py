"""The benchmark report: a Markdown table of every figure and ratio, the issue's targets checked
against them, and a plot of the ratios. Used by benches/run.py."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

LIBS = ("boto3", "boto3-tuned", "obstore", "s3seal")
BASELINES = ("boto3", "boto3-tuned", "obstore")
REAL = ("ministack", "garage")

Row = dict[str, Any]


def primary(m: dict[str, float]) -> float:
    """The figure where higher is better: ops/s, MiB/s, or G1's fraction of solo speed."""
    return m.get("ops_s") or m.get("gil_fraction") or m["mib_s"]


def cpu(m: dict[str, float]) -> float | None:
    return m.get("cpu_us_per_op") or m.get("cpu_s_per_gib")


def server_cpu(m: dict[str, float]) -> float | None:
    return m.get("server_cpu_us_per_op")


def ratio(row: Row, base: str, figure: Callable[[dict[str, float]], float | None] = primary) -> float | None:
    libs = row["libs"]
    if "s3seal" not in libs or base not in libs:
        return None
    a, b = figure(libs["s3seal"]), figure(libs[base])
    return a / b if a and b else None


# --- targets -------------------------------------------------------------------------------------


@dataclass
class Target:
    """One line of issue 4's target table, checked on every matching row (the worst one counts)."""

    label: str
    servers: tuple[str, ...]
    match: Callable[[Row], bool]
    measure: Callable[[Row, list[Row]], float | None]
    bound: float
    at_most: bool = False  # True: the figure must stay below the bound

    def check(self, rows: list[Row]) -> tuple[str, str, str] | None:
        values = []
        for r in rows:
            if r["server"] in self.servers and self.match(r):
                v = self.measure(r, rows)
                if v is not None:
                    values.append((v, r))
        if not values:
            return None
        worst, row = max(values, key=lambda x: x[0]) if self.at_most else min(values, key=lambda x: x[0])
        met = worst <= self.bound if self.at_most else worst >= self.bound
        sign = "≤" if self.at_most else "≥"
        where = f"{row['group']} {row['name']}"
        return (
            f"{self.label} {sign} {self.bound:.3g}",
            f"{worst:.2f} (worst of {len(values)}: {where})",
            "met" if met else "**not met**",
        )


def is_(group: str, *words: str) -> Callable[[Row], bool]:
    """Rows of `group` whose name has all `words` as whole words ("4 KiB" must not match "64 KiB")."""
    return lambda r: r["group"] == group and all(f" {w} " in f" {r['name']} " for w in words)


def vs(
    base: str, figure: Callable[[dict[str, float]], float | None] = primary
) -> Callable[[Row, list[Row]], float | None]:
    return lambda r, _rows: ratio(r, base, figure)


def self_scaling(r: Row, rows: list[Row]) -> float | None:
    """s3seal at this thread count over s3seal at 1 thread, same size, mode, op, server."""
    one = r["name"].replace(" 32T ", " 1T ")
    base = next(
        (x for x in rows if x["server"] == r["server"] and x["group"] == r["group"] and x["name"] == one),
        None,
    )
    if base is None or "s3seal" not in r["libs"] or "s3seal" not in base["libs"]:
        return None
    return primary(r["libs"]["s3seal"]) / primary(base["libs"]["s3seal"])


def sse_c_over_plain(r: Row, rows: list[Row]) -> float | None:
    """X1: s3seal's client CPU per GiB with SSE-C over the same transfer without encryption."""
    plain = r["name"].replace(" sse-c ", " plain ")
    base = next(
        (x for x in rows if x["server"] == r["server"] and x["group"] == "X1" and x["name"] == plain), None
    )
    if base is None:
        return None
    a, b = cpu(r["libs"].get("s3seal", {})), cpu(base["libs"].get("s3seal", {}))
    return a / b if a and b else None


def s3seal_figure(name: str) -> Callable[[Row, list[Row]], float | None]:
    return lambda r, _rows: r["libs"].get("s3seal", {}).get(name)


SINK = ("sink",)
TARGETS = [
    Target("S1 4 KiB 1T: s3seal / boto3 ops/s", ("ministack",), is_("S1", "4 KiB", "1T"), vs("boto3"), 2.5),
    Target("S1 4 KiB 1T: s3seal / obstore ops/s", ("ministack",), is_("S1", "4 KiB", "1T"), vs("obstore"), 1),
    Target("S1 4 KiB 1T: s3seal / boto3 ops/s", SINK, is_("S1", "4 KiB", "1T"), vs("boto3"), 5),
    Target("S1 4 KiB 1T: s3seal / obstore ops/s", SINK, is_("S1", "4 KiB", "1T"), vs("obstore"), 1),
    Target("S1 4 KiB 32T: s3seal / boto3 ops/s", ("ministack",), is_("S1", "4 KiB", "32T"), vs("boto3"), 3),
    Target(
        "S1 4 KiB 32T: s3seal / obstore ops/s", ("ministack",), is_("S1", "4 KiB", "32T"), vs("obstore"), 1
    ),
    Target("S1 4 KiB 32T: s3seal / boto3 ops/s", SINK, is_("S1", "4 KiB", "32T"), vs("boto3"), 10),
    Target("S1 4 KiB 32T: s3seal 32T / 1T ops/s", SINK, is_("S1", "4 KiB", "32T"), self_scaling, 1.5),
    Target("M1 64 MiB: s3seal / boto3 MiB/s", ("garage",), is_("M1", "64 MiB"), vs("boto3"), 1),
    Target(
        "M1 64 MiB: s3seal / boto3 client CPU",
        ("garage",),
        is_("M1", "64 MiB"),
        vs("boto3", cpu),
        1 / 3,
        True,
    ),
    Target("M1 64 MiB PUT: s3seal / boto3 MiB/s", SINK, is_("M1", "64 MiB", "put_object"), vs("boto3"), 2.5),
    Target(
        "M1 64 MiB PUT: s3seal / boto3 tuned MiB/s",
        SINK,
        is_("M1", "64 MiB", "put_object"),
        vs("boto3-tuned"),
        1.5,
    ),
    Target(
        "M1 64 MiB GET: s3seal / boto3 MiB/s",
        SINK,
        is_("M1", "64 MiB", "get_object().read()"),
        vs("boto3"),
        1.2,
    ),
    Target("L1/L2: s3seal / boto3 MiB/s", ("garage",), is_("L1/L2"), vs("boto3"), 1),
    Target("L1/L2: s3seal / obstore MiB/s", ("garage",), is_("L1/L2"), vs("obstore"), 1),
    Target(
        "L1/L2: s3seal / boto3 client CPU per GiB", ("garage",), is_("L1/L2"), vs("boto3", cpu), 1 / 3, True
    ),
    Target(
        "L1/L2: s3seal peak RSS MiB", ("garage", "sink"), is_("L1/L2"), s3seal_figure("rss_mib"), 256, True
    ),
    Target("L1/L2: s3seal / boto3 MiB/s", SINK, is_("L1/L2"), vs("boto3"), 3),
    Target("L1/L2: s3seal / obstore MiB/s", SINK, is_("L1/L2"), vs("obstore"), 1),
    Target("L3: s3seal / boto3 MiB/s", SINK, is_("L3"), vs("boto3"), 1.5),
    Target("C1: s3seal / boto3 aggregate MiB/s", SINK, is_("C1"), vs("boto3"), 3),
    Target(
        "X1: s3seal client CPU/GiB, SSE-C / plain",
        ("ministack", "garage", "sink"),
        is_("X1", "sse-c"),
        sse_c_over_plain,
        1.1,
        True,
    ),
    Target(
        "G1: counting thread, fraction of solo speed (s3seal)",
        ("garage", "sink"),
        is_("G1"),
        s3seal_figure("gil_fraction"),
        0.9,
    ),
    # Issue 15 (benches/rotate_cases.py): s3seal.rotate against a boto3 copy_object loop.
    Target("R1 rotation: s3seal.rotate / boto3 loop objects/s", REAL, is_("R1"), vs("boto3"), 5),
    Target("R1 rotation: s3seal.rotate / boto3 loop objects/s", SINK, is_("R1"), vs("boto3"), 5),
]


# --- the Markdown --------------------------------------------------------------------------------


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}g}" if v < 10**digits else f"{v:.0f}"


def fmt_ratio(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}x"


def lib_cells(row: Row, figure: Callable[[dict[str, float]], float | None]) -> list[str]:
    cells = []
    for lib in LIBS:
        m = row["libs"].get(lib)
        cells.append("failed" if lib in row["failed"] else fmt(figure(m)) if m else "—")
    return cells


def table(
    rows: list[Row], figure: Callable[[dict[str, float]], float | None], unit: Callable[[Row], str]
) -> list[str]:
    head = (
        "| case | server | unit | boto3 | boto3 tuned | obstore | s3seal | vs boto3 | vs tuned | vs obstore |"
    )
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        if not any(figure(m) for m in r["libs"].values()):
            continue
        ratios = [fmt_ratio(ratio(r, b, figure)) for b in BASELINES]
        lines.append(
            f"| {r['group']} {r['name']} | {r['server']} | {unit(r)} | "
            + " | ".join(lib_cells(r, figure) + ratios)
            + " |"
        )
    return lines


def throughput_unit(r: Row) -> str:
    m = next(iter(r["libs"].values()))
    return "ops/s" if "ops_s" in m else "× solo" if "gil_fraction" in m else "MiB/s"


def cpu_unit(r: Row) -> str:
    m = next(iter(r["libs"].values()))
    return "µs/op" if "cpu_us_per_op" in m else "s/GiB"


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        gib = int(mem.split()[1]) / (1 << 20)
    except (OSError, StopIteration):
        gib = 0
    return (
        f"{model}, {os.cpu_count()} cores, {gib:.0f} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    out = []
    for dist in ("boto3", "botocore", "obstore", "s3seal"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} not installed")
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
        ).stdout
        out[-1] += f" (git {rev}{'+changes' if dirty.strip() else ''})"
    except OSError:
        pass
    return ", ".join(out)


INTRO = """\
Same servers, same run: **ministack** (small objects, encryption modes) and **Garage** (large
data) are real S3 servers on 127.0.0.1 that share the 2 cores with the client, so they cap
throughput; the client's own CPU (user+sys of the measuring process) shows what each client
leaves to the server. **sink** is `benches/sink/`, a minimal Rust S3 responder that stores
nothing and serves synthetic bytes: a client-overhead instrument, not a server, where the
ratios show each client's own ceiling.

Libraries: **boto3** default; **boto3 tuned** = `Config(s3={{'payload_signing_enabled': False}})`
(what boto3 does over https); **obstore** (its S3Store, SSE set on the store); **s3seal** with
its defaults. S1 gives every library a pool of 64 connections. Each figure is the median of
{reps} run(s) ({s1_reps} for S1), libraries interleaved, each run in a fresh process. Ratios are
s3seal / the other library: above 1 is better for throughput, below 1 is better for CPU.
"failed" means the library could not do that case on that server.
"""


SINK_CPU = """\
The sink runs on the same cores as the client. Where they are saturated (32 threads here),
ops/s is about cores / (client CPU + sink CPU + the kernel's share of neither) per request,
so what a client's requests cost the sink counts against that client. The same requests cost
the sink more when they reach it one at a time (each may find its threads parked and wake
them) than in bursts. Measured over the client's timed window, from the scheduler's
per-thread counters of the sink process.
"""


def write(rows: list[Row], stem: Path, quick: bool, reps: int, s1_reps: int, minutes: float) -> None:
    stem.parent.mkdir(exist_ok=True)
    import async_cases

    rows, async_lines = async_cases.report(rows, stem, quick)  # its own section and plot
    lines = [
        f"# s3seal benchmark{' (quick mode: smoke test, figures not meaningful)' if quick else ''} — {dt.date.today()}",
        "",
        f"Machine: {machine()}. Versions: {versions()}. The suite took {minutes:.0f} min.",
        "",
        INTRO.format(reps=reps, s1_reps=s1_reps),
        "## Targets (issue 4)",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for t in TARGETS:
        checked = t.check(rows)
        if checked:
            label, value, met = checked
            lines.append(f"| {label} ({', '.join(t.servers)}) | {value} | {met} |")
    main_rows = [r for r in rows if r["group"] != "G1"]
    lines += ["", "## Throughput (higher is better)", "", *table(main_rows, primary, throughput_unit)]
    lines += ["", "## Client CPU (lower is better)", "", *table(main_rows, cpu, cpu_unit)]
    s1 = [r for r in rows if r["group"] == "S1"]
    s1_sink = [r for r in s1 if r["server"] == "sink"]
    if s1_sink:
        lines += [
            "",
            "## S1 sink CPU per request (lower is better)",
            "",
            SINK_CPU,
            *table(s1_sink, server_cpu, lambda _r: "µs/op"),
        ]
    if s1:
        lines += ["", "## S1 latency, p50 / p99 ms", "", *latency_table(s1)]
    lines += [
        "",
        "## Peak RSS MiB (VmHWM of the measuring process)",
        "",
        *table(
            [r for r in rows if r["group"] not in ("S1", "G1")], lambda m: m.get("rss_mib"), lambda _r: "MiB"
        ),
    ]
    g1 = [r for r in rows if r["group"] == "G1"]
    if g1:
        lines += [
            "",
            "## G1: a pure-Python counting thread during the transfer, as a fraction of its solo speed",
            "",
            *table(g1, primary, throughput_unit),
        ]
    import rotate_cases

    lines += rotate_cases.notes(rows)
    lines += async_lines
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    plot(rows, stem.with_suffix(".png"), quick)


def latency_table(rows: list[Row]) -> list[str]:
    lines = ["| case | server | boto3 | boto3 tuned | obstore | s3seal |", "|---|---|---|---|---|---|"]
    for r in rows:
        cells = []
        for lib in LIBS:
            m = r["libs"].get(lib)
            cells.append(f"{m['p50_ms']:.2f} / {m['p99_ms']:.2f}" if m else "—")
        lines.append(f"| {r['group']} {r['name']} | {r['server']} | " + " | ".join(cells) + " |")
    return lines


# --- the plot ------------------------------------------------------------------------------------


def plot(rows: list[Row], path: Path, quick: bool) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot written")
        return
    shown = [r for r in rows if r["group"] not in ("G1", "X1")]
    panels = [
        ("real servers (ministack: S1; Garage: M1, L, C1)", [r for r in shown if r["server"] in REAL]),
        ("sink endpoint (client overhead only)", [r for r in shown if r["server"] == "sink"]),
    ]
    panels = [p for p in panels if p[1]]
    if not panels:
        return
    width = max(len(p[1]) for p in panels)
    fig, axes = plt.subplots(len(panels), 1, figsize=(3 + 0.42 * width, 4.2 * len(panels)), squeeze=False)
    colors = {"boto3": "#4c72b0", "boto3-tuned": "#55a868", "obstore": "#c44e52"}
    for ax, (title, prow) in zip(axes[:, 0], panels, strict=True):
        x = range(len(prow))
        for j, base in enumerate(BASELINES):
            values = [ratio(r, base) or 0 for r in prow]
            ax.bar(
                [i + (j - 1) * 0.27 for i in x], values, 0.27, label=f"s3seal / {base}", color=colors[base]
            )
        ax.set_yscale("log")
        ax.axhline(1, color="black", lw=0.8)
        ax.set_xticks(
            list(x), [f"{r['group']} {r['name']}" for r in prow], rotation=60, ha="right", fontsize=7
        )
        ax.set_ylabel("throughput ratio (log)")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"s3seal throughput relative to each library, same server, same run{' (quick mode)' if quick else ''}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
