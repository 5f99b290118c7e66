"""Run the corpus of public boto3 code (tests/corpus/) with boto3 and with s3seal on a fresh
ministack, and write tests/corpus/RESULTS.md: the pass rate (s3seal passes / items boto3
passes), every item's status, and the differences of the items that fail.

    PYTHONPATH=python .venv/bin/python tools/corpus_report.py [--out PATH] [ITEM-SUBSTRING...]
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

import _runner  # noqa: E402
import servers  # noqa: E402
from _known import KNOWN  # noqa: E402

# As the test suite does: never the developer's own AWS files or instance metadata.
_HOME = tempfile.mkdtemp(prefix="s3seal-corpus-home-")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.path.join(_HOME, "config")
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(_HOME, "credentials")
for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_CA_BUNDLE"):
    os.environ.pop(var, None)


def render(results: list[_runner.Result]) -> str:
    import boto3
    import botocore

    s = _runner.summary(results)
    lines = [
        "# Corpus results",
        "",
        "Written by `tools/corpus_report.py` (do not edit by hand): every item of `tests/corpus/`",
        "(origins in `SOURCES.md`) run on ministack with boto3, then with `import boto3` changed to",
        "`import s3seal as boto3`. An item passes when the outcomes are equal (success or exception",
        "and error code, the driver's values and the printed output, normalised for names, ids,",
        "dates and signatures).",
        "",
        f"- run: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, boto3 {boto3.__version__}, "
        f"botocore {botocore.__version__}",
        f"- items: {s['items']} ({s['excluded']} excluded: boto3 itself cannot run them on ministack)",
        f"- boto3 runs: {s['boto3_passes']}; unexpected boto3 failures: {s['boto3_fails']}",
        f"- **s3seal passes: {s['s3seal_passes']} / {s['boto3_passes']} = {100 * s['rate']:.1f}%**",
        "",
        "| item | status | seconds (boto3 / s3seal run) | note |",
        "|---|---|---|---|",
    ]
    for r in results:
        note = r.item.excluded or KNOWN.get(r.item.id, "")
        seconds = " / ".join(f"{o.seconds:.2f}" for o in r.outcomes.values())
        lines.append(f"| `{r.item.id}` | {r.status} | {seconds} | {note} |")
    failing = [r for r in results if r.status in ("fail", "boto3-fails")]
    if failing:
        lines += ["", "## Differences", ""]
        for r in failing:
            detail = r.diff() if r.status == "fail" else r.outcomes["boto3"].trace
            lines += [f"### `{r.item.id}` ({r.status})", "", "```", detail.strip(), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "corpus" / "RESULTS.md"))
    parser.add_argument("select", nargs="*", help="run only items whose id contains one of these")
    args = parser.parse_args()
    items = [i for i in _runner.items() if not args.select or any(s in i.id for s in args.select)]
    workdir = Path(tempfile.mkdtemp(prefix="s3seal-corpus-"))
    server = servers.start_ministack(workdir / "ministack")
    try:
        results = []
        for item in items:
            result = _runner.run(item, server.client_kwargs())
            print(f"{result.status:12} {item.id}", file=sys.stderr)
            results.append(result)
    finally:
        server.stop()
    Path(args.out).write_text(render(results))
    print(_runner.summary_line(results))


if __name__ == "__main__":
    main()
