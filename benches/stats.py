"""Shared by the benchmark groups (run.py, async_cases.py, rotate_cases.py)."""

from __future__ import annotations

import statistics
from typing import Any


def median_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per output section and figure, the median over repetitions."""
    out: dict[str, Any] = {}
    for k, v in results[0].items():
        if isinstance(v, dict):
            # A figure a repetition could not measure (the server's CPU) is left out of its median.
            out[k] = {f: statistics.median(r[k][f] for r in results if f in r[k]) for f in v}
        else:
            out[k] = statistics.median(r[k] for r in results)
    return out
